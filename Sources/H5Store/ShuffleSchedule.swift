/// The order of one epoch, as a function of (seed, epoch) only: chunks are visited in a random
/// permutation, and every chunk is poured into a shuffle buffer of `capacity` samples from which a
/// uniformly random sample is drawn whenever room is needed (and at the end, until empty).
/// `ShuffleBuffer` is the bookkeeping both the real loader and `epochOrder` run, so the loader's
/// order can be predicted (and tested) without reading a single image.
package struct ShuffleSchedule: Sendable {
  package let sampleCount: Int
  package let chunkImages: Int
  package let capacity: Int

  package init(sampleCount: Int, chunkImages: Int, capacity: Int) {
    self.sampleCount = sampleCount
    self.chunkImages = chunkImages
    self.capacity = max(capacity, chunkImages)
  }

  package var chunkCount: Int { (sampleCount + chunkImages - 1) / chunkImages }

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
    var buffer = ShuffleBuffer(capacity: capacity)
    var sampleInSlot = [Int](repeating: 0, count: capacity)
    var order: [Int] = []
    order.reserveCapacity(sampleCount)
    for chunk in chunks {
      let range = chunkRange(chunk)
      while buffer.needsRoom(for: range.count) { order.append(sampleInSlot[buffer.draw(&rng)]) }
      for (slot, sample) in zip(buffer.take(range.count), range) { sampleInSlot[slot] = sample }
    }
    while !buffer.isEmpty { order.append(sampleInSlot[buffer.draw(&rng)]) }
    return order
  }
}

/// Which of `capacity` sample slots hold a sample waiting to be drawn.
package struct ShuffleBuffer: Sendable {
  private var occupied: [Int] = []
  private var free: [Int]

  package init(capacity: Int) {
    free = Array((0..<capacity).reversed())
    occupied.reserveCapacity(capacity)
  }

  package var isEmpty: Bool { occupied.isEmpty }
  package var count: Int { occupied.count }

  /// Whether samples must be drawn before `incoming` more fit.
  package func needsRoom(for incoming: Int) -> Bool { !occupied.isEmpty && free.count < incoming }

  /// `count` free slots, now occupied, for the caller to fill.
  package mutating func take(_ count: Int) -> ArraySlice<Int> {
    let slots = free.suffix(count)
    free.removeLast(count)
    occupied.append(contentsOf: slots)
    return slots
  }

  /// Draws a uniformly random occupied slot and frees it; the caller copies it out before the next take.
  package mutating func draw(_ rng: inout SplitMix64) -> Int {
    let index = rng.next(below: occupied.count)
    occupied.swapAt(index, occupied.count - 1)
    let slot = occupied.removeLast()
    free.append(slot)
    return slot
  }
}
