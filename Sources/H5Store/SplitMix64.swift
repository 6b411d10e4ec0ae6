/// SplitMix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro): 64-bit state, one add and
/// three xor-shift-multiplies per number. Portable and exactly reproducible across machines.
/// Package-internal until TensorCore provides the project's shared generator.
package struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  package init(seed: UInt64) {
    state = seed
  }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `0..<bound` by the multiply-high method (bias below 2^-32 for any bound we use).
  package mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
  }

  /// Fisher-Yates with `next(below:)`, so the result depends only on the generator's state.
  package mutating func permutation(_ count: Int) -> [Int] {
    var values = Array(0..<count)
    var index = count - 1
    while index > 0 {
      values.swapAt(index, next(below: index + 1))
      index -= 1
    }
    return values
  }
}
