// Matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major, through OpenBLAS's cblas_sgemm,
// with the naive triple loop beside it as the reference the tests hold it to.
import CBLAS

/// OpenBLAS's thread count. Default: all cores. ConvNet splits batches across cores itself and
/// calls BLAS single-threaded (OpenBLAS 0.3.21 is erratic with 2 threads on skinny GEMMs).
public enum BLAS {
  public static var threads: Int {
    get { Int(cblas_shim_get_threads()) }
    set { cblas_shim_set_threads(Int32(Swift.max(1, newValue))) }
  }
}

/// Row-major GEMM on raw pointers. `a` is (m x k) or, transposed, (k x m); `b` is (k x n) or (n x k);
/// `c` is (m x n). Leading dimensions are the row lengths as stored.
@inline(__always)
package func sgemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  if m == 0 || n == 0 { return }
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The reference: the definition of GEMM, accumulated in Double.
package func sgemmReference(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for p in 0..<k {
        let av = transposeA ? a[p * lda + i] : a[i * lda + p]
        let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
        s += Double(av) * Double(bv)
      }
      let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
      c[i * ldc + j] = Float(Double(alpha) * s + prior)
    }
  }
}

extension Tensor {
  /// op(self) x op(other) for 2-D tensors, plus `beta * accumulator` when given.
  public func matmul(
    _ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false,
    alpha: Float = 1, beta: Float = 0, accumulator: Tensor? = nil
  ) throws(TensorError) -> Tensor {
    guard rank == 2, other.rank == 2 else {
      throw .invalidArgument("matmul needs 2-D tensors, got \(shape) and \(other.shape)")
    }
    let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
    let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
    guard k == k2 else { throw .shapeMismatch("matmul inner dimensions \(k) vs \(k2)") }
    var out: Tensor
    if let acc = accumulator {
      guard acc.shape == [m, n] else { throw .shapeMismatch("accumulator \(acc.shape), want [\(m), \(n)]") }
      out = acc
    } else {
      out = Tensor.zeros([m, n])
    }
    let effectiveBeta = accumulator == nil ? 0 : beta
    let lda = shape[1]
    let ldb = other.shape[1]
    withUnsafePointer { a in
      other.withUnsafePointer { b in
        out.withUnsafeMutablePointer { c in
          sgemm(
            transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: effectiveBeta, c: c, ldc: n)
        }
      }
    }
    return out
  }
}
