import TestSupport
import Testing

@testable import TensorCore

/// The direct kernels against the definition: im2colReference + sgemmReference (forward and weight
/// gradient) and col2imReference (input gradient), over geometries that exercise every tile shape,
/// channel counts that are and are not multiples of 8, pixel and patch remainders, and strides.
@Suite(.enabled(if: DirectConv.cpuSupportsKernels))
struct DirectConvTests {
  static let seedConv2 = try! ConvGeometry(
    inputHeight: 35, inputWidth: 62, channels: 24, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2)

  static let cases: [(ConvGeometry, Int)] = [
    (
      try! ConvGeometry(
        inputHeight: 73, inputWidth: 128, channels: 3, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2
      ), 24
    ),
    (seedConv2, 36),
    (
      try! ConvGeometry(
        inputHeight: 16, inputWidth: 29, channels: 36, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2
      ), 48
    ),
    (try! ConvGeometry(inputHeight: 6, inputWidth: 13, channels: 48, kernelHeight: 3, kernelWidth: 3), 64),
    (try! ConvGeometry(inputHeight: 4, inputWidth: 11, channels: 64, kernelHeight: 3, kernelWidth: 3), 64),
    (
      try! ConvGeometry(
        inputHeight: 7, inputWidth: 9, channels: 5, kernelHeight: 2, kernelWidth: 3, strideY: 1, strideX: 2),
      1
    ),
    (
      try! ConvGeometry(
        inputHeight: 9, inputWidth: 8, channels: 2, kernelHeight: 3, kernelWidth: 1, strideY: 3, strideX: 1),
      13
    ),
    (try! ConvGeometry(inputHeight: 5, inputWidth: 5, channels: 7, kernelHeight: 5, kernelWidth: 5), 33),
    (try! ConvGeometry(inputHeight: 6, inputWidth: 6, channels: 4, kernelHeight: 1, kernelWidth: 1), 8),
    (try! ConvGeometry(inputHeight: 8, inputWidth: 10, channels: 3, kernelHeight: 3, kernelWidth: 3), 16),
    (try! ConvGeometry(inputHeight: 8, inputWidth: 10, channels: 3, kernelHeight: 3, kernelWidth: 3), 56),
  ]

  /// Reference forward: im2col then GEMM, both by definition. y: (n * P, OC).
  static func referenceForward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry, _ oc: Int, _ n: Int) -> Tensor {
    var col = Tensor.zeros([n * g.outputPixels, g.patchSize])
    var y = Tensor.zeros([n * g.outputPixels, oc])
    x.withUnsafePointer { px in
      col.withUnsafeMutablePointer { im2colReference(px, images: 0..<n, geometry: g, col: $0) }
    }
    col.withUnsafePointer { c in
      w.withUnsafePointer { pw in
        y.withUnsafeMutablePointer {
          sgemmReference(
            transposeA: false, transposeB: false, m: n * g.outputPixels, n: oc, k: g.patchSize, a: c,
            lda: g.patchSize, b: pw, ldb: oc, c: $0, ldc: oc)
        }
      }
    }
    return y
  }

  // Tolerances: float32 sums of up to 900 products of values in [-1, 1] against a Double reference
  // (worst-case rounding K * eps ~ 5e-5).
  @Test(arguments: 0..<cases.count) func forwardMatchesDefinition(index: Int) throws {
    let (g, oc) = Self.cases[index]
    let conv = try #require(DirectConv(geometry: g, outputChannels: oc, force: true))
    for n in [1, 3] {
      let x = seededTensor([n, g.inputHeight, g.inputWidth, g.channels], seed: UInt64(index))
      let w = seededTensor([g.patchSize, oc], seed: UInt64(100 + index))
      var packed = Tensor.zeros([conv.packedKernelCount])
      let zeroBias = Tensor.zeros([oc])
      var y = Tensor(shape: [n * g.outputPixels, oc], repeating: .nan)
      w.withUnsafePointer { pw in
        zeroBias.withUnsafePointer { pb in
          packed.withUnsafeMutablePointer { conv.packKernel(pw, bias: pb, into: $0) }
        }
      }
      try x.withUnsafePointer { px in
        try packed.withUnsafePointer { pk in
          try y.withUnsafeMutablePointer {
            try conv.forward(px, images: n, packedKernel: pk, activation: .linear, y: $0)
          }
        }
      }
      let want = Self.referenceForward(x, w, g, oc, n)
      #expect(isClose(y, want, rtol: 1e-5, atol: 1e-4), "forward \(g) oc \(oc) n \(n)")
    }
  }

  @Test(arguments: 0..<cases.count) func weightGradientMatchesDefinition(index: Int) throws {
    let (g, oc) = Self.cases[index]
    let conv = try #require(DirectConv(geometry: g, outputChannels: oc, force: true))
    let ocp = conv.paddedChannels
    let n = 3
    let rows = n * g.outputPixels
    let x = seededTensor([n, g.inputHeight, g.inputWidth, g.channels], seed: UInt64(200 + index))
    let d = seededTensor([rows, oc], seed: UInt64(300 + index))
    var dp = Tensor.zeros([rows * ocp])
    d.withUnsafePointer { s in
      dp.withUnsafeMutablePointer { packRows(s, rows: rows, columns: oc, ld: ocp, into: $0) }
    }
    // Start from ones: the kernel accumulates.
    var dw = Tensor(shape: [g.patchSize * ocp], repeating: 1)
    x.withUnsafePointer { px in
      dp.withUnsafePointer { pd in
        dw.withUnsafeMutablePointer { conv.accumulateWeightGradient(px, images: n, delta: pd, gradient: $0) }
      }
    }
    var col = Tensor.zeros([rows, g.patchSize])
    var want = Tensor.zeros([g.patchSize, oc])
    x.withUnsafePointer { px in
      col.withUnsafeMutablePointer { im2colReference(px, images: 0..<n, geometry: g, col: $0) }
    }
    col.withUnsafePointer { c in
      d.withUnsafePointer { pd in
        want.withUnsafeMutablePointer {
          sgemmReference(
            transposeA: true, transposeB: false, m: g.patchSize, n: oc, k: rows, a: c, lda: g.patchSize,
            b: pd, ldb: oc, c: $0, ldc: oc)
        }
      }
    }
    var got = Tensor.zeros([g.patchSize, oc])
    var paddingStaysOne = true
    for i in 0..<g.patchSize {
      for j in 0..<ocp {
        if j < oc { got[i, j] = dw[i * ocp + j] - 1 } else if dw[i * ocp + j] != 1 { paddingStaysOne = false }
      }
    }
    #expect(isClose(got, want, rtol: 1e-4, atol: 1e-4), "weight gradient \(g) oc \(oc)")
    #expect(paddingStaysOne, "padding columns of the weight gradient must get exact zeros added")
  }

  @Test(arguments: 0..<cases.count) func inputGradientMatchesDefinition(index: Int) throws {
    let (g, oc) = Self.cases[index]
    let conv = try #require(DirectConv(geometry: g, outputChannels: oc, force: true))
    let ocp = conv.paddedChannels
    let n = 3
    let rows = n * g.outputPixels
    let w = seededTensor([g.kernelHeight, g.kernelWidth * g.channels, oc], seed: UInt64(400 + index))
    let d = seededTensor([rows, oc], seed: UInt64(500 + index))
    var dp = Tensor.zeros([rows * ocp])
    d.withUnsafePointer { s in
      dp.withUnsafeMutablePointer { packRows(s, rows: rows, columns: oc, ld: ocp, into: $0) }
    }
    var wt = Tensor.zeros([g.kernelHeight * oc * conv.paddedRun])
    w.withUnsafePointer { pw in wt.withUnsafeMutablePointer { conv.packTransposedKernel(pw, into: $0) } }
    // One extra image after the n: the kernels must not write past their images.
    let size = g.inputImageSize
    var dx = Tensor(shape: [(n + 1) * size], repeating: .nan)
    try dp.withUnsafePointer { pd in
      try wt.withUnsafePointer { pt in
        try dx.withUnsafeMutablePointer {
          try conv.inputGradient(pd, images: n, transposedKernel: pt, dx: $0)
        }
      }
    }
    // Reference: dcol = d x W^T, then col2im.
    var dcol = Tensor.zeros([rows, g.patchSize])
    d.withUnsafePointer { pd in
      w.withUnsafePointer { pw in
        dcol.withUnsafeMutablePointer {
          sgemmReference(
            transposeA: false, transposeB: true, m: rows, n: g.patchSize, k: oc, a: pd, lda: oc, b: pw,
            ldb: oc, c: $0, ldc: g.patchSize)
        }
      }
    }
    var want = Tensor.zeros([n, g.inputHeight, g.inputWidth, g.channels])
    dcol.withUnsafePointer { c in
      want.withUnsafeMutablePointer { col2imReference(c, images: 0..<n, geometry: g, dx: $0) }
    }
    let got = try Tensor(shape: want.shape, scalars: Array(dx.scalars[0..<(n * size)]))
    #expect(isClose(got, want, rtol: 1e-4, atol: 1e-4), "input gradient \(g) oc \(oc)")
    #expect(dx.scalars[(n * size)...].allSatisfy { $0.isNaN }, "wrote past the last image")
  }

  @Test func paddingThatReachesOutsideTheImageIsNotDirect() throws {
    let same = try ConvGeometry(
      inputHeight: 8, inputWidth: 8, channels: 3, kernelHeight: 3, kernelWidth: 3, padding: .same)
    #expect(DirectConv(geometry: same, outputChannels: 8, force: true) == nil)
    let sameOne = try ConvGeometry(
      inputHeight: 8, inputWidth: 8, channels: 3, kernelHeight: 1, kernelWidth: 1, padding: .same)
    #expect(DirectConv(geometry: sameOne, outputChannels: 8, force: true) != nil)
  }
}
