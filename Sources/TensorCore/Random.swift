// A portable seeded generator: SplitMix64 (Steele, Lea, Flood 2014) uses only 64-bit integer
// adds, xor-shifts and multiplies, so one seed gives bit-identical numbers on every machine.
// Floats take the top 24 bits (exact in Float32); normals use Box-Muller on those floats.

/// SplitMix64: the same seed yields the same sequence everywhere (see the Python twin in
/// Scripts/fixtures/convnet_splitmix.py).
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// An independent stream for `keys` under `seed` (e.g. seed, split, row, view, copy): the
  /// state hashes them, so a sample's draws depend on what it is, not on which thread makes it.
  public init(seed: UInt64, _ keys: UInt64...) {
    var h = SplitMix64.mix(seed ^ 0x6A09_E667_F3BC_C908)
    for key in keys { h = SplitMix64.mix(h ^ SplitMix64.mix(key &+ 0x9E37_79B9_7F4A_7C15)) }
    state = h
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SplitMix64.mix(state)
  }

  /// SplitMix64's output function (a bijective 64-bit hash).
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1): `(next() >> 40) * 2^-24`.
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Uniform in [low, high).
  public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
    low + (high - low) * nextUnitFloat()
  }

  /// Standard normal by Box-Muller (one draw uses two uniforms; the second normal is discarded
  /// so the stream position never depends on history).
  public mutating func nextNormal() -> Float {
    let u1 = 1 - nextUnitFloat()  // (0, 1]: log is finite
    let u2 = nextUnitFloat()
    return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
  }

  /// Exactly uniform in `0..<bound`: Lemire's multiply-high with rejection ("Fast random integer
  /// generation in an interval", 2019). The high word of `next() * bound` alone is biased by up to
  /// bound / 2^64; the draws whose low word falls below `2^64 mod bound` are redrawn.
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range  // 2^64 mod range
      while product.low < threshold { product = next().multipliedFullWidth(by: range) }
    }
    return Int(product.high)
  }

  /// Fisher-Yates with `next(below:)`, so the result depends only on the generator's state
  /// (the standard library's `shuffle(using:)` is not guaranteed stable across versions).
  public mutating func shuffle<T>(_ values: inout [T]) {
    var index = values.count - 1
    while index > 0 {
      values.swapAt(index, next(below: index + 1))
      index -= 1
    }
  }

  /// A random permutation of `0..<count` (`shuffle` of the identity).
  public mutating func permutation(_ count: Int) -> [Int] {
    var values = Array(0..<count)
    shuffle(&values)
    return values
  }

  /// An independent generator for a sub-task (e.g. one epoch's shuffle), derived from this seed.
  public func derived(_ stream: UInt64) -> SplitMix64 {
    var g = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
    _ = g.next()
    return g
  }
}

extension Tensor {
  /// Uniform scalars in [low, high), drawn in row-major order.
  public static func uniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, generator: inout SplitMix64
  ) -> Tensor {
    var t = Tensor(uninitializedShape: shape)
    let n = t.count
    t.withUnsafeMutablePointer { p in for i in 0..<n { p[i] = generator.nextFloat(in: low, high) } }
    return t
  }

  /// Normal scalars with `mean` and `standardDeviation`, drawn in row-major order.
  public static func normal(
    _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout SplitMix64
  ) -> Tensor {
    var t = Tensor(uninitializedShape: shape)
    let n = t.count
    t.withUnsafeMutablePointer { p in
      for i in 0..<n { p[i] = mean + standardDeviation * generator.nextNormal() }
    }
    return t
  }

  /// Keras's Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
  public static func glorotUniform(
    _ shape: [Int], fanIn: Int, fanOut: Int, generator: inout SplitMix64
  ) -> Tensor {
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    return uniform(shape, low: -limit, high: limit, generator: &generator)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
