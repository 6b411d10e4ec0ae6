// Numeric test helpers: closeness with tolerances, seeded random tensors, finite-difference checks.
import TensorCore

/// Largest elementwise |a - b| / (atol + rtol * |b|); <= 1 means every scalar is within tolerance.
public func closenessRatio(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Float {
  guard a.count == b.count else { return .infinity }
  var worst: Float = 0
  for (x, y) in zip(a, b) {
    if x.isNaN || y.isNaN { return .infinity }
    worst = max(worst, abs(x - y) / (atol + rtol * abs(y)))
  }
  return worst
}

/// True when shapes match and every scalar of `a` is within `atol + rtol * |b|` of `b`.
public func isClose(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
  a.shape == b.shape && closenessRatio(a.scalars, b.scalars, rtol: rtol, atol: atol) <= 1
}

/// A tensor of uniform scalars in [low, high) from `seed`.
public func seededTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
  var g = SplitMix64(seed: seed)
  return Tensor.uniform(shape, low: low, high: high, generator: &g)
}

/// Central finite differences of the scalar function `f` at `x`, in Double for accuracy of the
/// difference itself (f is still evaluated in Float32).
public func numericGradient(
  of f: (Tensor) throws -> Float, at x: Tensor, epsilon: Float = 1e-2
) rethrows -> [Float] {
  var grad = [Float](repeating: 0, count: x.count)
  var s = x.scalars
  for i in 0..<x.count {
    let original = s[i]
    s[i] = original + epsilon
    let plus = try f(try! Tensor(shape: x.shape, scalars: s))
    s[i] = original - epsilon
    let minus = try f(try! Tensor(shape: x.shape, scalars: s))
    s[i] = original
    grad[i] = Float((Double(plus) - Double(minus)) / (2 * Double(epsilon)))
  }
  return grad
}

/// Relative error of an analytic gradient against finite differences:
/// max |a - n| / max(max |n|, floor). Small (< 1e-2 in Float32) means the backward pass is right.
public func gradientError(analytic: [Float], numeric: [Float], floor: Float = 1e-3) -> Float {
  guard analytic.count == numeric.count else { return .infinity }
  let scale = max(numeric.map(abs).max() ?? 0, floor)
  var worst: Float = 0
  for (a, n) in zip(analytic, numeric) { worst = max(worst, abs(a - n)) }
  return worst / scale
}
