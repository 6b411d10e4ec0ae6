import Foundation
import TestSupport
import Testing

@testable import TensorCore

/// The direct BF16 convolution kernels (BF16Conv) against the naive references: im2colReference,
/// bf16GemmReference (every operand rounded to bfloat16, sums in Double) and col2imReference. Each
/// result element is a sum of K (or OC, or pixel) products that the kernels add in FP32, two per
/// vdpbf16ps step, so it may differ from the Double sum by 2 (terms + 1) 2^-24 sum |a b|: the bound
/// is computed per element from the same reference run on |a| and |b|.
@Suite(.enabled(if: BF16.cpuSupportsKernels))
struct BF16ConvTests {
  /// The seed model's conv1 (a kernel row of 15 scalars, odd: its last is paired with zero) and
  /// conv2 (36 channels: 8-lane tiles of 3 + 2 vectors), odd widths at stride (1, 2) with odd
  /// channel counts, and a 1x1 output.
  static let cases: [(ConvGeometry, Int)] = [
    (
      try! ConvGeometry(
        inputHeight: 73, inputWidth: 128, channels: 3, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2
      ),
      24
    ),
    (
      try! ConvGeometry(
        inputHeight: 35, inputWidth: 62, channels: 24, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2
      ),
      36
    ),
    (
      try! ConvGeometry(
        inputHeight: 7, inputWidth: 10, channels: 5, kernelHeight: 2, kernelWidth: 3, strideY: 1, strideX: 2),
      13
    ),
    (try! ConvGeometry(inputHeight: 5, inputWidth: 5, channels: 7, kernelHeight: 5, kernelWidth: 5), 64),
  ]

  /// bf16GemmReference's product (m, n), and the same product of |a| and |b|: the bound's sums.
  static func reference(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int
  ) -> (value: [Float], bound: [Float]) {
    var value = [Float](repeating: 0, count: m * n)
    var bound = value
    bf16GemmReference(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
      accumulate: false, c: &value, ldc: n)
    bf16GemmReference(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.map(abs), lda: lda,
      b: b.map(abs),
      ldb: ldb, accumulate: false, c: &bound, ldc: n)
    return (value, bound)
  }

  /// Elementwise: |got - want| <= 2 (terms + 1) 2^-24 bound + 1e-30.
  static func withinBound(_ got: [Float], _ want: [Float], _ bound: [Float], terms: Int) -> Bool {
    let scale = 2 * Float(terms + 1) * 0x1p-24
    return got.count == want.count
      && zip(zip(got, want), bound).allSatisfy { pair, b in abs(pair.0 - pair.1) <= scale * b + 1e-30 }
  }

  @Test(arguments: 0..<cases.count)
  func directKernelsMatchTheReference(index: Int) throws {
    let (g, oc) = Self.cases[index]
    let conv = try #require(BF16Conv(geometry: g, outputChannels: oc))
    let (k, p, size) = (g.patchSize, g.outputPixels, g.inputImageSize)
    for n in [1, 3] {
      let rows = n * p
      let x = seededTensor([n, g.inputHeight, g.inputWidth, g.channels], seed: 4, low: -3, high: 3).scalars
      let w = seededTensor([k, oc], seed: 5, low: -1, high: 1).scalars
      let d = seededTensor([rows, oc], seed: 6, low: -1, high: 1).scalars
      let bias = [Float](repeating: 0, count: oc)
      var col = [Float](repeating: 0, count: rows * k)
      im2colReference(x, images: 0..<n, geometry: g, col: &col)

      // Forward: y (rows, OC) = col x W.
      var xb = [UInt16](repeating: 0, count: n * size)
      BF16.convert(x, count: n * size, into: &xb)
      var wp = [UInt16](repeating: 0, count: conv.kernelCount)
      var rounded = [UInt16](repeating: 0, count: conv.roundedKernelCount)
      conv.packKernel(w, rounded: &rounded, into: &wp)
      var y = [Float](repeating: .nan, count: rows * oc)
      conv.forward(xb, images: n, packedKernel: wp, bias: bias, activation: .linear, y: &y)
      let (yRef, yBound) = Self.reference(
        transposeA: false, transposeB: false, m: rows, n: oc, k: k, a: col, lda: k, b: w, ldb: oc)
      #expect(Self.withinBound(y, yRef, yBound, terms: k), "forward, \(n) images")

      // Weight gradient: dW (K, OCP) += col^T x d.
      let ocp = conv.paddedChannels
      var xs = [UInt16](repeating: 0, count: conv.shiftedPairsCount(images: n))
      conv.shiftedPairs(x, images: n, into: &xs)
      var dp = [UInt16](repeating: 0, count: conv.deltaPairsCount(images: n))
      conv.deltaPairs(d, ldd: oc, images: n, into: &dp)
      var dw = [Float](repeating: 0, count: k * ocp)
      conv.accumulateWeightGradient(xs, images: n, deltaPairs: dp, gradient: &dw)
      let (dwRef, dwBound) = Self.reference(
        transposeA: true, transposeB: false, m: k, n: oc, k: rows, a: col, lda: k, b: d, ldb: oc)
      let dwReal = (0..<k).flatMap { i in dw[(i * ocp)..<(i * ocp + oc)] }
      #expect(Self.withinBound(dwReal, dwRef, dwBound, terms: rows), "weight gradient, \(n) images")
      #expect((0..<k).allSatisfy { i in dw[(i * ocp + oc)..<((i + 1) * ocp)].allSatisfy { $0 == 0 } })

      // Input gradient: dx = col2im(d x W^T). The bound sums over every (pixel, kernel offset) that
      // reaches an input element, so it is col2im of the |d| x |W^T| products.
      var db = [UInt16](repeating: 0, count: rows * conv.deltaRow)
      BF16.packA(d, m: rows, k: oc, lda: oc, transposed: false, into: &db)
      var wt = [UInt16](repeating: 0, count: conv.transposedKernelCount)
      conv.packTransposedKernel(w, rounded: &rounded, into: &wt)
      var dx = [Float](repeating: .nan, count: n * size)
      conv.inputGradient(db, images: n, transposedKernel: wt, dx: &dx)
      let (dcol, dcolBound) = Self.reference(
        transposeA: false, transposeB: true, m: rows, n: k, k: oc, a: d, lda: oc, b: w, ldb: oc)
      var dxRef = [Float](repeating: 0, count: n * size)
      var dxBound = dxRef
      col2imReference(dcol, images: 0..<n, geometry: g, dx: &dxRef)
      col2imReference(dcolBound, images: 0..<n, geometry: g, dx: &dxBound)
      let overlap = g.kernelHeight * g.kernelWidth  // windows that can reach one input element
      #expect(Self.withinBound(dx, dxRef, dxBound, terms: oc * overlap), "input gradient, \(n) images")
    }
  }

  /// The kernels really round: FP32 operands that bfloat16 cannot hold give a forward that misses
  /// the unrounded FP32 product by more than the bound allows.
  @Test func theBoundSeesMissingRounding() throws {
    let (g, oc) = Self.cases[1]
    let conv = try #require(BF16Conv(geometry: g, outputChannels: oc))
    let (k, rows) = (g.patchSize, g.outputPixels)
    let x = seededTensor([1, g.inputHeight, g.inputWidth, g.channels], seed: 4, low: -3, high: 3).scalars
    let w = seededTensor([k, oc], seed: 5, low: -1, high: 1).scalars
    var col = [Float](repeating: 0, count: rows * k)
    im2colReference(x, images: 0..<1, geometry: g, col: &col)
    var xb = [UInt16](repeating: 0, count: g.inputImageSize)
    BF16.convert(x, count: g.inputImageSize, into: &xb)
    var wp = [UInt16](repeating: 0, count: conv.kernelCount)
    var rounded = [UInt16](repeating: 0, count: conv.roundedKernelCount)
    conv.packKernel(w, rounded: &rounded, into: &wp)
    var y = [Float](repeating: 0, count: rows * oc)
    conv.forward(
      xb, images: 1, packedKernel: wp, bias: [Float](repeating: 0, count: oc), activation: .linear, y: &y)
    var exact = [Float](repeating: 0, count: rows * oc)
    var bound = exact
    for i in 0..<rows {
      for j in 0..<oc {
        var (s, b) = (0.0, 0.0)
        for q in 0..<k {
          s += Double(col[i * k + q]) * Double(w[q * oc + j])
          b += abs(Double(col[i * k + q]) * Double(w[q * oc + j]))
        }
        (exact[i * oc + j], bound[i * oc + j]) = (Float(s), Float(b))
      }
    }
    #expect(!Self.withinBound(y, exact, bound, terms: k))
  }
}
