import Foundation
import TestSupport
import Testing

@testable import TensorCore

/// BF16 rounding, packing and the vdpbf16ps GEMM against the naive reference, which rounds every
/// operand the same way and sums in Double. Sums in FP32 differ from the Double ones only by
/// rounding: each of the k / 2 vdpbf16ps steps rounds at most twice, so
/// |kernel - reference| <= 2 * k * 2^-24 * sum_p |a_ip b_pj| (plus denormal flushing, avoided here).
@Suite(.enabled(if: BF16.cpuSupportsKernels))
struct BF16Tests {
  /// (m, n, k): every tile width (n 1-16, 17-32, 33-48, 49-64, then 5, 7 and 37 vectors), row
  /// remainders, odd k, and k past the kernel's 384-element k block and 96-row m block.
  static let shapes: [(Int, Int, Int)] = [
    (1, 1, 1), (5, 16, 3), (13, 24, 75), (7, 36, 600), (9, 48, 1), (17, 64, 33), (100, 80, 25),
    (33, 100, 1152), (3, 577, 9), (24, 75, 1001), (200, 10, 50), (97, 1, 400),
  ]

  @Test func roundsToNearestEven() {
    // bfloat16 keeps 7 fraction bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and goes to the
    // even 1; 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6 and goes up to the even one.
    #expect(BF16.rounded(1 + 0x1p-8) == 1)
    #expect(BF16.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
    #expect(BF16.rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7)
    #expect(BF16.rounded(-3.0) == -3.0)
    #expect(BF16.rounded(.infinity) == .infinity)
    #expect(BF16.rounded(.nan).isNaN)
    #expect(BF16.rounded(Float.greatestFiniteMagnitude) == .infinity)
    // 1e-40, a denormal (the literal would warn that it underflows) -> zero, as the instructions treat it.
    #expect(BF16.rounded(Float(bitPattern: 0x0001_16C2)) == 0)
    // Against an independent definition: the nearer of the two neighbours, ties to even mantissa.
    var g = SplitMix64(seed: 7)
    for _ in 0..<20000 {
      let exponent = UInt32(1 + g.next() % 250) << 23  // normal and finite, rounding stays finite
      let x = Float(bitPattern: UInt32(truncatingIfNeeded: g.next()) & 0x807f_ffff | exponent)
      let down = Float(bitPattern: x.bitPattern & 0xffff_0000)
      let up = Float(bitPattern: (x.bitPattern & 0xffff_0000) &+ 0x1_0000)
      let (dd, du) = (abs(Double(x) - Double(down)), abs(Double(up) - Double(x)))  // down is toward zero
      let expected = dd < du ? down : (du < dd ? up : ((down.bitPattern >> 16) & 1 == 0 ? down : up))
      #expect(BF16.rounded(x) == expected, "\(x)")
    }
  }

  @Test(arguments: [false, true])
  func packsTheDocumentedLayouts(transposed: Bool) {
    for (m, n, k) in [(3, 5, 7), (16, 17, 2), (1, 33, 1), (9, 40, 64)] {
      let a = seededTensor([m * k], seed: 1, low: -3, high: 3).scalars
      let b = seededTensor([k * n], seed: 2, low: -3, high: 3).scalars
      var pa = [UInt16](repeating: 0xffff, count: BF16.packedACount(m: m, k: k))
      var pb = [UInt16](repeating: 0xffff, count: BF16.packedBCount(k: k, n: n))
      // Stored (m, k) or, transposed, (k, m); likewise b (k, n) or (n, k).
      BF16.packA(a, m: m, k: k, lda: transposed ? m : k, transposed: transposed, into: &pa)
      BF16.packB(b, k: k, n: n, ldb: transposed ? k : n, transposed: transposed, into: &pb)
      let kp = (k + 1) & ~1
      let np = (n + 15) & ~15
      func bits(_ x: Float) -> UInt16 { UInt16(BF16.rounded(x).bitPattern >> 16) }
      for i in 0..<m {
        for p in 0..<kp {
          let want = p < k ? bits(transposed ? a[p * m + i] : a[i * k + p]) : 0
          #expect(pa[i * kp + p] == want)
        }
      }
      for p in 0..<kp {
        for j in 0..<np {
          let want = p < k && j < n ? bits(transposed ? b[j * k + p] : b[p * n + j]) : 0
          #expect(pb[((p / 2) * np + j) * 2 + p % 2] == want)
        }
      }
    }
  }

  /// Packs op(a), op(b) and runs the kernel; c (m, n) row-major, or stored transposed (n, m).
  static func kernel(
    _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
    accumulateInto c0: [Float]?, storeTransposed: Bool = false
  ) -> [Float] {
    var pa = [UInt16](repeating: 0, count: BF16.packedACount(m: m, k: k))
    var pb = [UInt16](repeating: 0, count: BF16.packedBCount(k: k, n: n))
    BF16.packA(a, m: m, k: k, lda: transposeA ? m : k, transposed: transposeA, into: &pa)
    BF16.packB(b, k: k, n: n, ldb: transposeB ? k : n, transposed: transposeB, into: &pb)
    var c = c0 ?? [Float](repeating: .nan, count: m * n)  // NaN: a skipped store shows
    BF16.gemm(
      m: m, n: n, k: k, a: pa, b: pb, c: &c, rowStride: storeTransposed ? 1 : n,
      columnStride: storeTransposed ? m : 1, accumulate: c0 != nil)
    return c
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func gemmMatchesTheReference(transposeA: Bool, transposeB: Bool) {
    for (s, (m, n, k)) in Self.shapes.enumerated() {
      let a = seededTensor([m * k], seed: UInt64(10 + s), low: -2, high: 2).scalars
      let b = seededTensor([k * n], seed: UInt64(50 + s), low: -2, high: 2).scalars
      let c0 = s % 2 == 0 ? nil : seededTensor([m * n], seed: UInt64(90 + s)).scalars
      let got = Self.kernel(
        a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, accumulateInto: c0)
      var want = c0 ?? [Float](repeating: 0, count: m * n)
      bf16GemmReference(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: transposeA ? m : k, b: b,
        ldb: transposeB ? k : n, accumulate: c0 != nil, c: &want, ldc: n)
      var worst = 0.0
      for i in 0..<m {
        for j in 0..<n {
          var magnitude = abs(Double(c0?[i * n + j] ?? 0))
          for p in 0..<k {
            let av = BF16.rounded(transposeA ? a[p * m + i] : a[i * k + p])
            let bv = BF16.rounded(transposeB ? b[j * k + p] : b[p * n + j])
            magnitude += abs(Double(av) * Double(bv))
          }
          let bound = 2 * Double(k + 1) * 0x1p-24 * magnitude + 1e-30
          worst = max(worst, abs(Double(got[i * n + j]) - Double(want[i * n + j])) / bound)
        }
      }
      #expect(worst <= 1, "m \(m) n \(n) k \(k): error \(worst) x the bound")
    }
  }

  /// Small integers are exact in bfloat16 and their sums are exact in FP32: the kernel must match
  /// the reference bit for bit, whatever its summation order, including a transposed store.
  @Test func gemmIsExactOnIntegers() {
    var g = SplitMix64(seed: 3)
    for (m, n, k) in Self.shapes {
      let a = (0..<(m * k)).map { _ in Float(Int(g.next() % 9) - 4) }
      let b = (0..<(k * n)).map { _ in Float(Int(g.next() % 9) - 4) }
      var want = [Float](repeating: 0, count: m * n)
      bf16GemmReference(
        transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, accumulate: false,
        c: &want, ldc: n)
      let got = Self.kernel(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false, accumulateInto: nil)
      #expect(got == want, "m \(m) n \(n) k \(k)")
      let stored = Self.kernel(
        a, b, m: m, n: n, k: k, transposeA: false, transposeB: false, accumulateInto: nil,
        storeTransposed: true)
      #expect((0..<(m * n)).allSatisfy { stored[($0 % n) * m + $0 / n] == want[$0] }, "m \(m) n \(n) k \(k)")
    }
  }

  /// The bound above is tight enough to notice a kernel that skipped the rounding: FP32 products of
  /// the unrounded operands miss the BF16 reference by far more.
  @Test func theToleranceSeesMissingRounding() {
    let (m, n, k) = (8, 16, 64)
    let a = seededTensor([m * k], seed: 1).scalars
    let b = seededTensor([k * n], seed: 2).scalars
    var bf = [Float](repeating: 0, count: m * n)
    var fp = [Float](repeating: 0, count: m * n)
    bf16GemmReference(
      transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, accumulate: false,
      c: &bf, ldc: n)
    sgemmReference(
      transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &fp, ldc: n)
    let worst = zip(bf, fp).map { abs($0 - $1) }.max() ?? 0
    let bound = 2 * Float(k + 1) * 0x1p-24 * Float(k)  // the bound with every |a b| <= 1
    #expect(worst > 4 * bound, "\(worst) vs bound \(bound)")
  }
}
