import ArgumentParser
import Foundation
import TensorCore

// GEMM GFLOP/s on the seed model's convolution shapes (M = batch 32 x output pixels, N = filters,
// K = patch size), forward and the two backward products, plus im2col throughput.
struct GemmBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gemm", abstract: "sgemm GFLOP/s on the seed model's shapes, and im2col GB/s.")

  @Option(help: "Seconds per shape.") var seconds = 1.0
  @Option(help: "OpenBLAS threads.") var threads = 1

  static let shapes: [(m: Int, n: Int, k: Int)] = [(69_440, 24, 75), (14_848, 36, 600), (2_496, 48, 900)]

  func run() throws {
    BLAS.threads = threads
    var g = SplitMix64(seed: 1)
    var total = 0.0
    for s in Self.shapes {
      let a = Tensor.uniform([s.m, s.k], low: -1, high: 1, generator: &g)
      let b = Tensor.uniform([s.k, s.n], low: -1, high: 1, generator: &g)
      var c = Tensor.zeros([s.m, s.n])
      let rate = measure(seconds: seconds, flops: 2.0 * Double(s.m * s.n * s.k)) {
        let pc = c.mutableBase
        sgemm(
          transposeA: false, transposeB: false, m: s.m, n: s.n, k: s.k, a: a.base, lda: s.k, b: b.base,
          ldb: s.n, c: pc, ldc: s.n)
      }
      total += rate
      print("gemm \(s.m)x\(s.n)x\(s.k): \(String(format: "%.1f", rate)) GFLOP/s")
    }
    let geometry = try ConvGeometry(
      inputHeight: 73, inputWidth: 128, channels: 3, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2)
    let x = Tensor.uniform([32, 73, 128, 3], generator: &g)
    var col = Tensor.zeros([32 * geometry.outputPixels, geometry.patchSize])
    let bytes = Double(col.count * 4)
    let gbs = measure(seconds: seconds, flops: bytes) {
      im2col(x.base, images: 0..<32, geometry: geometry, col: col.mutableBase)
    }
    print("im2col 32x73x128x3 k5 s2: \(String(format: "%.2f", gbs)) GB/s written")
    print("gemm GFLOP/s: \(String(format: "%.1f", total / Double(Self.shapes.count)))")
  }

  /// Repeats `body` for about `seconds`; returns units-of-`flops` per nanosecond (i.e. G/s).
  private func measure(seconds: Double, flops: Double, _ body: () -> Void) -> Double {
    body()
    let start = DispatchTime.now().uptimeNanoseconds
    var n = 0
    var elapsed = 0.0
    repeat {
      body()
      n += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    } while elapsed < seconds * 1e9
    return flops * Double(n) / elapsed
  }
}
