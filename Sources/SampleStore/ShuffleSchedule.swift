import TensorCore

/// The order of one epoch, as a function of (seed, epoch) only.
///
/// Chunks are visited in a random permutation. The shuffle buffer is `pages` chunk-sized pages;
/// each page holds one chunk (as read: no copy) with a random permutation of its samples. Every
/// sample is drawn uniformly from all samples still waiting in all pages; a page that runs empty is
/// refilled with the next chunk. Memory is `pages` chunks whatever the store's size.
/// `ShufflePages` is the bookkeeping both the loader and `epochOrder` run, so the loader's order can
/// be predicted (and tested) without reading a single image.
package struct ShuffleSchedule: Sendable {
  package let sampleCount: Int
  package let chunkImages: Int
  package let pages: Int

  package init(sampleCount: Int, chunkImages: Int, pages: Int) {
    self.sampleCount = sampleCount
    self.chunkImages = chunkImages
    self.pages = max(1, pages)
  }

  package var chunkCount: Int { (sampleCount + chunkImages - 1) / chunkImages }
  /// Samples the shuffle buffer holds at most.
  package var capacity: Int { pages * chunkImages }

  package func chunkRange(_ chunk: Int) -> Range<Int> {
    (chunk * chunkImages)..<min((chunk + 1) * chunkImages, sampleCount)
  }

  /// The generator for `epoch`: the seed and the epoch number mixed through one SplitMix64 step.
  package func generator(seed: UInt64, epoch: Int) -> SplitMix64 {
    var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03))
    return SplitMix64(seed: mixer.next())
  }

  /// The sample indices of `epoch` in the order the loader delivers them.
  package func epochOrder(seed: UInt64, epoch: Int) -> [Int] {
    var rng = generator(seed: seed, epoch: epoch)
    let chunks = rng.permutation(chunkCount)
    var chunkInPage = [Int](repeating: 0, count: pages)
    var order: [Int] = []
    order.reserveCapacity(sampleCount)
    _ = drive(
      &rng,
      load: { page, position in
        chunkInPage[page] = chunks[position]
        return chunkRange(chunks[position]).count
      },
      emit: { page, index, _ in
        order.append(chunkRange(chunkInPage[page]).lowerBound + index)
        return true
      })
    return order
  }

  /// Runs one epoch's shuffle after the chunk permutation was drawn from `rng`: `load(page, position)`
  /// puts the chunk at `position` of the permutation into `page` and returns its sample count;
  /// `emit(page, index, pageNowEmpty)` delivers sample `index` of that page. Either returns
  /// nil/false to stop early. The loader and `epochOrder` both run exactly this.
  ///
  /// Warm-up: pages are filled progressively (one more every half chunk of samples emitted) so the
  /// first batch does not wait for the whole buffer to be read.
  package func drive(
    _ rng: inout SplitMix64, load: (_ page: Int, _ position: Int) -> Int?,
    emit: (_ page: Int, _ index: Int, _ pageNowEmpty: Bool) -> Bool
  ) -> Bool {
    var buffer = ShufflePages(pages: min(pages, chunkCount))
    let warmStep = max(1, chunkImages / 2)
    var position = 0
    var loaded = 0
    var emitted = 0
    func fill(_ page: Int, _ rng: inout SplitMix64) -> Bool {
      guard let count = load(page, position) else { return false }
      buffer.load(page: page, count: count, &rng)
      position += 1
      return true
    }
    while true {
      while loaded < buffer.pageCount && position < chunkCount
        && (buffer.isEmpty || emitted >= loaded * warmStep)
      {
        guard fill(loaded, &rng) else { return false }
        loaded += 1
      }
      if buffer.isEmpty { return true }
      let (page, index) = buffer.draw(&rng)
      emitted += 1
      let empty = buffer.isEmpty(page: page)
      guard emit(page, index, empty) else { return false }
      if empty && position < chunkCount {
        guard fill(page, &rng) else { return false }
      }
    }
  }
}

/// Which samples of each page are still waiting to be drawn.
package struct ShufflePages: Sendable {
  private var orders: [[Int]]
  private var drawn: [Int]
  private var waiting = 0
  private var nonEmpty = 0

  package init(pages: Int) {
    orders = Array(repeating: [], count: pages)
    drawn = Array(repeating: 0, count: pages)
  }

  package var pageCount: Int { orders.count }
  package var isEmpty: Bool { waiting == 0 }
  package func isEmpty(page: Int) -> Bool { drawn[page] == orders[page].count }

  /// A chunk of `count` samples now sits in (empty) `page`, in a random order.
  package mutating func load(page: Int, count: Int, _ rng: inout SplitMix64) {
    precondition(isEmpty(page: page), "page \(page) still holds samples")
    orders[page] = rng.permutation(count)
    drawn[page] = 0
    waiting += count
    if count > 0 { nonEmpty += 1 }
  }

  /// One sample: a page drawn uniformly among those still holding samples (so a freshly loaded page
  /// does not dominate), then that page's next sample in its random order.
  package mutating func draw(_ rng: inout SplitMix64) -> (page: Int, index: Int) {
    var pick = rng.next(below: nonEmpty)
    for page in orders.indices where drawn[page] < orders[page].count {
      if pick == 0 {
        let index = orders[page][drawn[page]]
        drawn[page] += 1
        waiting -= 1
        if drawn[page] == orders[page].count { nonEmpty -= 1 }
        return (page, index)
      }
      pick -= 1
    }
    preconditionFailure("waiting count out of step with the pages")
  }
}
