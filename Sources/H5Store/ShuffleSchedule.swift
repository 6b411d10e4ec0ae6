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
    var buffer = ShufflePages(pages: min(pages, chunkCount))
    var chunkInPage = [Int](repeating: 0, count: buffer.pageCount)
    var nextChunk = 0
    for page in 0..<buffer.pageCount {
      buffer.load(page: page, count: chunkRange(chunks[nextChunk]).count, &rng)
      chunkInPage[page] = chunks[nextChunk]
      nextChunk += 1
    }
    var order: [Int] = []
    order.reserveCapacity(sampleCount)
    while !buffer.isEmpty {
      let (page, index) = buffer.draw(&rng)
      order.append(chunkRange(chunkInPage[page]).lowerBound + index)
      if buffer.isEmpty(page: page) && nextChunk < chunks.count {
        buffer.load(page: page, count: chunkRange(chunks[nextChunk]).count, &rng)
        chunkInPage[page] = chunks[nextChunk]
        nextChunk += 1
      }
    }
    return order
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
