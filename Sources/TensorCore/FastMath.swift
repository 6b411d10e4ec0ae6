// Vectorizable expm1 for ELU. glibc's expm1f is scalar and was a third of batch-1 inference time.
// Range reduction x = k ln2 + r, |r| <= ln2 / 2, then expm1(x) = 2^k q(r) + (2^k - 1) with q the
// degree-7 Taylor polynomial of expm1 (truncation < 6e-9 relative on |r| <= 0.347). Near 0 (k = 0)
// this is q(r) itself, so small inputs keep full relative precision. Written as a plain scalar
// loop of selects and bit casts so LLVM vectorizes it (Swift's generic SIMD types did not inline).
// Reference: Activation.eluScalar (glibc expm1f).

/// expm1(x) for x <= 0 (inputs below -87 give -1).
@inline(__always)
package func expm1NonPositive(_ x: Float) -> Float {
  let xc = x < -87 ? -87 : x
  // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
  let kb = xc * 1.442_695_04 + 12_582_912
  let k = kb - 12_582_912
  let r = (xc - k * 0.693_145_752) - k * 1.428_606_8e-6
  var q = r * (1.0 / 5040) + (1.0 / 720)
  q = q * r + (1.0 / 120)
  q = q * r + (1.0 / 24)
  q = q * r + (1.0 / 6)
  q = q * r + 0.5
  q = q * r + 1
  q = q * r
  let scale = Float(bitPattern: (kb.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
  return scale * q + (scale - 1)
}

/// y[i] = elu(y[i]) over `count` scalars.
package func eluInPlace(_ y: UnsafeMutablePointer<Float>, count: Int) {
  for i in 0..<count {
    let x = y[i]
    let e = expm1NonPositive(x > 0 ? 0 : x)
    y[i] = x > 0 ? x : e
  }
}

/// y: (rows, columns) row-major; y = act(y + bias) in one pass per row (bias fused with activation).
package func biasActivate(
  _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>,
  activation: Activation
) {
  for r in 0..<rows {
    let row = y + r * columns
    for j in 0..<columns { row[j] += bias[j] }
    activation.apply(row, count: columns)
  }
}
