// Seeded randomness for planning and augmentation. SplitMix64 (Steele, Lea, Flood 2014): portable,
// 64-bit state, same sequence on every platform. Streams are derived by hashing (seed, keys), so
// the random choices for a sample depend on what it is, not on which thread makes it or when.

package struct SampleRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  package init(seed: UInt64) { state = seed }

  /// An independent stream for `keys` under `seed` (e.g. seed, split, row, camera, copy).
  package init(seed: UInt64, _ keys: UInt64...) {
    var h = SampleRandom.mix(seed ^ 0x6A09_E667_F3BC_C908)
    for key in keys { h = SampleRandom.mix(h ^ SampleRandom.mix(key &+ 0x9E37_79B9_7F4A_7C15)) }
    state = h
  }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SampleRandom.mix(state)
  }

  /// Uniform in [0, 1) with 24 bits.
  package mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

  /// Uniform in `range`.
  package mutating func uniform(_ range: ClosedRange<Float>) -> Float {
    range.lowerBound + (range.upperBound - range.lowerBound) * unit()
  }

  package static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension Array {
  /// Fisher-Yates shuffle with a SampleRandom: the same permutation on every platform
  /// (the standard library's `shuffle(using:)` algorithm is not guaranteed stable across versions).
  package mutating func seededShuffle(_ random: inout SampleRandom) {
    guard count > 1 else { return }
    for i in stride(from: count - 1, to: 0, by: -1) {
      let j = Int(random.next() % UInt64(i + 1))
      swapAt(i, j)
    }
  }
}
