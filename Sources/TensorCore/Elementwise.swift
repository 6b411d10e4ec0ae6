// Elementwise arithmetic and activations. Activation kernels work on raw pointers so layers can
// apply them in place on their workspaces; the Tensor methods are thin wrappers.

extension Tensor {
  /// `f` applied to every scalar.
  public func map(_ f: (Float) -> Float) -> Tensor {
    var out = Tensor(uninitializedShape: shape)
    let src = storage.base
    out.withUnsafeMutablePointer { p in for i in 0..<count { p[i] = f(src[i]) } }
    return out
  }

  /// `f` applied pairwise; shapes must match exactly (no broadcasting beyond scalars).
  public func zipWith(_ other: Tensor, _ f: (Float, Float) -> Float) throws(TensorError) -> Tensor {
    guard shape == other.shape else { throw .shapeMismatch("\(shape) vs \(other.shape)") }
    var out = Tensor(uninitializedShape: shape)
    let a = storage.base
    let b = other.storage.base
    out.withUnsafeMutablePointer { p in for i in 0..<count { p[i] = f(a[i], b[i]) } }
    return out
  }

  public func adding(_ other: Tensor) throws(TensorError) -> Tensor { try zipWith(other, +) }
  public func subtracting(_ other: Tensor) throws(TensorError) -> Tensor { try zipWith(other, -) }
  public func multiplying(_ other: Tensor) throws(TensorError) -> Tensor { try zipWith(other, *) }
  public func dividing(_ other: Tensor) throws(TensorError) -> Tensor { try zipWith(other, /) }

  public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
  public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
  public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
  public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }

  /// ELU with alpha 1: x for x > 0, exp(x) - 1 otherwise.
  public func elu() -> Tensor {
    var out = self
    let n = count
    out.withUnsafeMutablePointer { eluInPlace($0, count: n) }
    return out
  }
  /// max(x, 0).
  public func relu() -> Tensor { map { Swift.max($0, 0) } }
}

/// Activation kernels shared by layers. Derivatives are taken from the *output* y, so a layer
/// needs to keep only its output for backward: ELU' = 1 if y > 0 else y + 1; ReLU' = 1 if y > 0.
public enum Activation: String, Sendable, Codable, CaseIterable {
  case linear, relu, elu

  /// Reference ELU (glibc expm1f); the fast path is `eluInPlace`.
  @inline(__always) package static func eluScalar(_ x: Float) -> Float { x > 0 ? x : expm1f(x) }

  /// y = act(y) over `count` scalars in place.
  package func apply(_ y: UnsafeMutablePointer<Float>, count: Int) {
    switch self {
    case .linear: return
    case .relu: for i in 0..<count { y[i] = max(y[i], 0) }
    case .elu: eluInPlace(y, count: count)
    }
  }

  /// dy *= act'(from output y), in place over `count` scalars.
  package func backward(output y: UnsafePointer<Float>, gradient dy: UnsafeMutablePointer<Float>, count: Int)
  {
    switch self {
    case .linear: return
    case .relu: for i in 0..<count where y[i] <= 0 { dy[i] = 0 }
    case .elu: for i in 0..<count { dy[i] *= y[i] > 0 ? 1 : y[i] + 1 }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
