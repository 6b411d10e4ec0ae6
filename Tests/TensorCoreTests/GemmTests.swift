import TestSupport
import Testing

@testable import TensorCore

@Suite struct GemmTests {
  // BLAS against the triple loop over every transpose combination, odd sizes and both betas.
  @Test(arguments: [false, true], [false, true])
  func blasAgreesWithReference(transposeA: Bool, transposeB: Bool) {
    for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 4, 33), (64, 24, 75), (2, 1, 9)] {
      for beta: Float in [0, 1, 0.5] {
        let a = seededTensor(transposeA ? [k, m] : [m, k], seed: 1)
        let b = seededTensor(transposeB ? [n, k] : [k, n], seed: 2)
        let c0 = seededTensor([m, n], seed: 3)
        var fast = c0
        var slow = c0
        a.withUnsafePointer { pa in
          b.withUnsafePointer { pb in
            fast.withUnsafeMutablePointer {
              sgemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.75, a: pa,
                lda: a.shape[1], b: pb, ldb: b.shape[1], beta: beta, c: $0, ldc: n)
            }
            slow.withUnsafeMutablePointer {
              sgemmReference(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.75, a: pa,
                lda: a.shape[1], b: pb, ldb: b.shape[1], beta: beta, c: $0, ldc: n)
            }
          }
        }
        #expect(isClose(fast, slow, rtol: 1e-4, atol: 1e-5), "m\(m) n\(n) k\(k) beta \(beta)")
      }
    }
  }

  @Test func matmulOfKnownMatrices() throws {
    let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = try Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
    #expect(try a.matmul(b).scalars == [58, 64, 139, 154])
    #expect(try a.matmul(a, transposeOther: true).scalars == [14, 32, 32, 77])
    let acc = Tensor.ones([2, 2])
    #expect(try a.matmul(b, beta: 2, accumulator: acc).scalars == [60, 66, 141, 156])
  }

  @Test func matmulRejectsMismatchedShapes() {
    #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3])) }
    #expect(throws: TensorError.self) { try Tensor.zeros([2]).matmul(Tensor.zeros([2, 3])) }
  }

  @Test func threadKnobRoundTrips() {
    let before = BLAS.threads
    BLAS.threads = 1
    #expect(BLAS.threads == 1)
    BLAS.threads = before
  }
}
