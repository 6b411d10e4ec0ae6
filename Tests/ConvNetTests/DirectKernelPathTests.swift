import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// Conv2D's two paths, direct kernels and im2col + GEMM, give the same outputs and gradients on
/// the seed model and on PilotNet (every layer shape both presets use), in training and inference.
@Suite(.enabled(if: DirectConv.isAvailable)) struct DirectKernelPathTests {
  static func pair(_ make: () throws -> Sequential) throws -> (direct: Sequential, im2col: Sequential) {
    let direct = try make()
    let im2col = try make()
    for case let conv as Conv2D in im2col.layers { conv.allowsDirectKernels = false }
    return (direct, im2col)
  }

  @Test(arguments: ["seed", "pilotnet"]) func pathsAgree(preset: String) throws {
    let (a, b) = try Self.pair {
      preset == "seed"
        ? try Sequential.seedModel(seed: 7, threads: 2) : try Sequential.pilotNet(seed: 7, threads: 2)
    }
    let n = 5  // odd: the two workers get different image counts
    var g = SplitMix64(seed: 11)
    let images = (0..<(n * a.inputShape.reduce(1, *))).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let targets = (0..<n).map { _ in g.nextFloat(in: -0.5, 0.5) }
    let batch = SampleBatch(
      images: images, labels: targets, provenance: [], height: a.inputShape[0], width: a.inputShape[1],
      channels: a.inputShape[2])
    #expect(
      isClose(
        try a.forward(batch: batch, mode: .inference), try b.forward(batch: batch, mode: .inference),
        rtol: 1e-4, atol: 1e-6))
    var grads: [[Float]] = []
    var losses: [Float] = []
    for m in [a, b] {
      m.zeroGradients()
      let y = try m.forward(batch: batch, mode: .training)
      let (loss, dy) = try mseLoss(predictions: y, targets: targets)
      try m.backward(dy)
      losses.append(loss)
      grads.append(Array(UnsafeBufferPointer(start: m.parameters.gradients, count: m.parameterCount)))
    }
    #expect(abs(losses[0] - losses[1]) <= 1e-5 * max(1, abs(losses[1])))
    let ratio = closenessRatio(grads[0], grads[1], rtol: 1e-3, atol: 1e-6)
    #expect(ratio <= 1, "gradients differ between the paths (closeness ratio \(ratio))")
    #expect(grads[0].contains { $0 != 0 }, "gradients must not be trivially zero")
    // Every convolution really took the path it was meant to.
    #expect(a.layers.compactMap { $0 as? Conv2D }.allSatisfy { $0.usesDirectKernels })
    #expect(b.layers.compactMap { $0 as? Conv2D }.allSatisfy { !$0.usesDirectKernels })
  }
}
