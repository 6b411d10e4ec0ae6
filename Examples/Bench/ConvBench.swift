import ArgumentParser
import Foundation
import TensorCore

// Per-layer GFLOP/s of the seed model's convolutions on one core: the direct kernels against
// im2col + OpenBLAS, for forward, weight gradient and input gradient. Timed on this thread's CPU
// clock, so a busy second core disturbs it less than wall time would.
struct ConvBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "conv", abstract: "Seed-model convolutions: direct kernels vs im2col + sgemm, one core.")

  @Option(help: "Images per call (one worker's slice of a batch of 32 on 2 cores is 16).") var images = 16
  @Option(help: "Seconds per measurement.") var seconds = 0.5

  // (H, W, C, K, stride, OC) of the seed model's five convolutions.
  static let layers = [
    (73, 128, 3, 5, 2, 24), (35, 62, 24, 5, 2, 36), (16, 29, 36, 5, 2, 48), (6, 13, 48, 3, 1, 64),
    (4, 11, 64, 3, 1, 64),
  ]

  func run() throws {
    BLAS.threads = 1
    var g = SplitMix64(seed: 1)
    let n = images
    var directTotal = 0.0
    var gemmTotal = 0.0
    for (i, l) in Self.layers.enumerated() {
      let geo = try ConvGeometry(
        inputHeight: l.0, inputWidth: l.1, channels: l.2, kernelHeight: l.3, kernelWidth: l.3, strideY: l.4,
        strideX: l.4)
      let oc = l.5
      guard let conv = DirectConv(geometry: geo, outputChannels: oc, force: true) else {
        print("direct kernels unavailable on this CPU")
        return
      }
      let k = geo.patchSize
      let rows = n * geo.outputPixels
      let ocp = conv.paddedChannels
      let flops = 2.0 * Double(rows * k * oc)
      let x = Tensor.uniform([n, geo.inputHeight, geo.inputWidth, geo.channels], generator: &g)
      let w = Tensor.uniform([k, oc], low: -0.1, high: 0.1, generator: &g)
      let d = Tensor.uniform([rows, ocp], low: -1, high: 1, generator: &g)
      var packed = Tensor.zeros([conv.packedKernelCount])
      let bias = Tensor.zeros([oc])
      var wt = Tensor.zeros([geo.kernelHeight * oc * conv.paddedRun])
      conv.packKernel(w.base, bias: bias.base, into: packed.mutableBase)
      conv.packTransposedKernel(w.base, into: wt.mutableBase)
      var y = Tensor.zeros([rows, oc])
      var dw = Tensor.zeros([k * ocp])
      var dx = Tensor.zeros([n * geo.inputImageSize])
      var col = Tensor.zeros([rows, k])
      let py = y.mutableBase
      let pdw = dw.mutableBase
      let pdx = dx.mutableBase
      let pc = col.mutableBase
      let fwd = try measure(flops) {
        try conv.forward(x.base, images: n, packedKernel: packed.base, activation: .elu, y: py)
      }
      let wgr = measure(flops) {
        conv.accumulateWeightGradient(x.base, images: n, delta: d.base, gradient: pdw)
      }
      let igr = try measure(flops) {
        try conv.inputGradient(d.base, images: n, transposedKernel: wt.base, dx: pdx)
      }
      let gf = measure(flops) {
        im2col(x.base, images: 0..<n, geometry: geo, col: pc)
        sgemm(
          transposeA: false, transposeB: false, m: rows, n: oc, k: k, a: pc, lda: k, b: w.base, ldb: oc,
          c: py, ldc: oc)
      }
      let gw = measure(flops) {
        sgemm(
          transposeA: true, transposeB: false, m: k, n: oc, k: rows, a: pc, lda: k, b: d.base, ldb: ocp,
          c: pdw, ldc: oc)
      }
      let gi = measure(flops) {
        sgemm(
          transposeA: false, transposeB: true, m: rows, n: k, k: oc, a: d.base, lda: ocp, b: w.base, ldb: oc,
          c: pc, ldc: k)
        col2im(pc, images: 0..<n, geometry: geo, dx: pdx)
      }
      let f = { (v: Double) in String(format: "%5.1f", v) }
      print(
        "conv\(i + 1) \(geo.inputHeight)x\(geo.inputWidth)x\(geo.channels) k\(geo.kernelHeight) s\(geo.strideY) oc\(oc): "
          + "direct fwd \(f(fwd)) dW \(f(wgr)) dX \(f(igr)) | im2col+sgemm fwd \(f(gf)) dW \(f(gw)) dX \(f(gi)) GFLOP/s"
      )
      // conv1 needs no input gradient in the model.
      let parts = i == 0 ? 2.0 : 3.0
      directTotal += flops * parts / (flops / fwd + flops / wgr + (i == 0 ? 0 : flops / igr))
      gemmTotal += flops * parts / (flops / gf + flops / gw + (i == 0 ? 0 : flops / gi))
    }
    print(
      String(
        format: "mean over layers: direct %.1f, im2col+sgemm %.1f GFLOP/s", directTotal / 5, gemmTotal / 5))
    print("conv direct GFLOP/s: \(String(format: "%.1f", directTotal / 5))")
  }

  /// G-units per second of thread CPU time over about `seconds`.
  private func measure(_ flops: Double, _ body: () throws -> Void) rethrows -> Double {
    try body()
    let start = threadCPUNanoseconds()
    var count = 0
    var elapsed = 0.0
    repeat {
      try body()
      count += 1
      elapsed = Double(threadCPUNanoseconds() - start)
    } while elapsed < seconds * 1e9
    return flops * Double(count) / elapsed
  }
}

private func threadCPUNanoseconds() -> UInt64 {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
