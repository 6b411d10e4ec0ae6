// Vectorized expm1 for ELU. glibc's expm1f is scalar and was a third of batch-1 inference time.
// Range reduction x = k ln2 + r, |r| <= ln2 / 2, then expm1(x) = 2^k q(r) + (2^k - 1) with q the
// degree-7 Taylor polynomial of expm1 (truncation < 6e-9 relative on |r| <= 0.347). Near 0 (k = 0)
// this is q(r) itself, so small inputs keep full relative precision. Reference: Activation.eluScalar.

@inline(__always)
package func expm1Fast(_ x: SIMD8<Float>) -> SIMD8<Float> {
  let xc = x.clamped(lowerBound: SIMD8(repeating: -87), upperBound: SIMD8(repeating: 88))
  let k = (xc * 1.442_695_04).rounded(.toNearestOrEven)
  // ln2 split in two so k * ln2Hi is exact for |k| < 2^9.
  let r = (xc - k * 0.693_145_752) - k * 1.428_606_8e-6
  var q = r * (1.0 / 5040) + (1.0 / 720)
  q = q * r + (1.0 / 120)
  q = q * r + (1.0 / 24)
  q = q * r + (1.0 / 6)
  q = q * r + 0.5
  q = q * r + 1
  q = q * r
  let bits = (SIMD8<Int32>(k, rounding: .towardZero) &+ 127) &<< 23
  let scale = unsafeBitCast(bits, to: SIMD8<Float>.self)
  return scale * q + (scale - 1)
}

/// ELU over one SIMD vector: x for x > 0, expm1(x) otherwise.
@inline(__always)
package func eluFast(_ x: SIMD8<Float>) -> SIMD8<Float> {
  expm1Fast(x.replacing(with: 0, where: x .> 0)).replacing(with: x, where: x .> 0)
}

/// y[i] = elu(y[i]) over `count` scalars, 8 at a time; the tail goes through a padded vector.
package func eluInPlace(_ y: UnsafeMutablePointer<Float>, count: Int) {
  var i = 0
  let raw = UnsafeMutableRawPointer(y)
  while i + 8 <= count {
    let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
    raw.storeBytes(of: eluFast(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
    i += 8
  }
  if i < count {
    var v = SIMD8<Float>(repeating: 0)
    for j in 0..<(count - i) { v[j] = y[i + j] }
    let e = eluFast(v)
    for j in 0..<(count - i) { y[i + j] = e[j] }
  }
}

/// y: (rows, columns) row-major; y = act(y + bias) in one pass per row (bias fused with activation).
package func biasActivate(
  _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>, activation: Activation
) {
  for r in 0..<rows {
    let row = y + r * columns
    for j in 0..<columns { row[j] += bias[j] }
    activation.apply(row, count: columns)
  }
}
