import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// Conv2D and Dense in BF16 against the same layers in FP32 fed the bfloat16-rounded operands:
/// both then multiply the same exact products and differ only in FP32 summation order, so they
/// agree to ~1e-6 relative. The same comparison with unrounded operands must fail, which shows the
/// BF16 path really rounds (and the tolerance can see it).
@Suite(.enabled(if: BF16.isAvailable))
struct BF16LayerTests {
  static func rounded(_ t: Tensor) -> Tensor {
    try! Tensor(shape: t.shape, scalars: t.scalars.map(BF16.rounded))
  }

  static func conv(_ c: Int, _ oc: Int, _ k: (Int, Int), _ s: (Int, Int), _ pad: Padding, _ act: Activation)
    -> Conv2D
  {
    Conv2D(inputChannels: c, outputChannels: oc, kernelSize: k, stride: s, padding: pad, activation: act)
  }

  /// (input H, W, layer): stride 1 and 2, valid and same padding, channel counts across tile widths.
  static let convCases: [(Int, Int, @Sendable () -> Conv2D)] = [
    (9, 11, { conv(5, 13, (3, 3), (1, 1), .valid, .elu) }),
    (16, 20, { conv(3, 24, (5, 5), (2, 2), .same, .linear) }),
    (12, 14, { conv(24, 36, (5, 5), (2, 2), .valid, .relu) }),
    (6, 9, { conv(48, 64, (3, 3), (1, 1), .valid, .elu) }),
    (7, 7, { conv(2, 100, (1, 3), (1, 2), .same, .linear) }),
    // Valid and linear, so backward is checked on the direct kernels (BF16Conv) too: the seed's conv1
    // (a kernel row of 15 scalars, odd, so its last one is paired with zero), conv2 (36 channels: 8-lane
    // tiles of 3 + 2), conv4, and odd channel counts with an odd run at stride (1, 2).
    (15, 17, { conv(3, 24, (5, 5), (2, 2), .valid, .linear) }),
    (12, 14, { conv(24, 36, (5, 5), (2, 2), .valid, .linear) }),
    (6, 9, { conv(48, 64, (3, 3), (1, 1), .valid, .linear) }),
    (9, 11, { conv(5, 13, (3, 3), (1, 2), .valid, .linear) }),
  ]

  @Test(arguments: 0..<convCases.count)
  func conv2DMatchesFP32OnRoundedOperands(index: Int) throws {
    let (h, w, make) = Self.convCases[index]
    let bf = make()
    let fp = make()
    var g = SplitMix64(seed: UInt64(index))
    bf.initialize(generator: &g)
    try bf.bias.assign(seededTensor(bf.bias.shape, seed: 3, low: -0.2, high: 0.2))
    try fp.kernel.assign(Self.rounded(bf.kernel.value))
    try fp.bias.assign(bf.bias.value)
    bf.precision = .bf16
    bf.threads = 2
    let x = seededTensor([3, h, w, bf.inputChannels], seed: 5)
    let y = try bf.forward(x, mode: .training)
    let direct = try #require(bf.geometry).padding == .valid
    #expect(
      (BF16Conv(geometry: try #require(bf.geometry), outputChannels: bf.outputChannels) != nil) == direct)
    let yRef = try fp.forward(Self.rounded(x), mode: .training)
    #expect(closenessRatio(y.scalars, yRef.scalars, rtol: 1e-4, atol: 1e-5) <= 1)
    let yUnrounded = try make().withWeights(of: fp, from: bf).forward(x, mode: .inference)
    #expect(closenessRatio(y.scalars, yUnrounded.scalars, rtol: 1e-4, atol: 1e-5) > 1)

    // Backward with bf16-exact dy and a linear activation: delta = dy is exact, so the FP32
    // layer's gradients on the rounded operands are the reference.
    guard bf.activation == .linear else { return }
    let dy = Self.rounded(seededTensor(y.shape, seed: 6))
    bf.computesInputGradient = true
    fp.computesInputGradient = true
    let dx = try bf.backward(dy)
    let dxRef = try fp.backward(dy)
    #expect(closenessRatio(dx.scalars, dxRef.scalars, rtol: 1e-4, atol: 1e-5) <= 1)
    #expect(
      closenessRatio(bf.kernel.gradient.scalars, fp.kernel.gradient.scalars, rtol: 1e-4, atol: 1e-4) <= 1)
    #expect(closenessRatio(bf.bias.gradient.scalars, fp.bias.gradient.scalars, rtol: 1e-5, atol: 1e-5) <= 1)
  }

  /// The direct kernels give each output element from one kernel call and sum each input-gradient
  /// element in an order fixed by its own image, whatever images share a call: one thread and two
  /// give the same bits.
  @Test func directConvDoesNotDependOnThreads() throws {
    func run(threads: Int) throws -> (y: [Float], dx: [Float]) {
      let layer = Self.conv(24, 36, (5, 5), (2, 2), .valid, .elu)
      var g = SplitMix64(seed: 9)
      layer.initialize(generator: &g)
      layer.precision = .bf16
      layer.threads = threads
      let y = try layer.forward(seededTensor([9, 12, 14, 24], seed: 4), mode: .training)
      return (y.scalars, try layer.backward(seededTensor(y.shape, seed: 8)).scalars)
    }
    let one = try run(threads: 1)
    let two = try run(threads: 2)
    // Compared as a count, so a failure prints a number rather than two arrays.
    #expect(zip(one.y, two.y).filter { $0.0.bitPattern != $0.1.bitPattern }.count == 0)
    #expect(zip(one.dx, two.dx).filter { $0.0.bitPattern != $0.1.bitPattern }.count == 0)
    #expect(one.dx.count == two.dx.count && one.y.count == two.y.count)
  }

  @Test func denseMatchesFP32OnRoundedOperands() throws {
    let bf = Dense(inputCount: 50, outputCount: 20)
    let fp = Dense(inputCount: 50, outputCount: 20)
    var g = SplitMix64(seed: 1)
    bf.initialize(generator: &g)
    try bf.bias.assign(seededTensor([20], seed: 2, low: -0.2, high: 0.2))
    try fp.kernel.assign(Self.rounded(bf.kernel.value))
    try fp.bias.assign(bf.bias.value)
    bf.precision = .bf16
    let x = seededTensor([7, 50], seed: 3)
    let y = try bf.forward(x, mode: .training)
    #expect(
      closenessRatio(
        y.scalars, try fp.forward(Self.rounded(x), mode: .training).scalars, rtol: 1e-4, atol: 1e-5) <= 1)
    let dy = Self.rounded(seededTensor(y.shape, seed: 4))
    let dx = try bf.backward(dy)
    #expect(closenessRatio(dx.scalars, try fp.backward(dy).scalars, rtol: 1e-4, atol: 1e-5) <= 1)
    #expect(
      closenessRatio(bf.kernel.gradient.scalars, fp.kernel.gradient.scalars, rtol: 1e-4, atol: 1e-5) <= 1)
  }
}

extension Conv2D {
  /// This layer with `rounded`'s bias and `full`'s unrounded kernel, in FP32.
  fileprivate func withWeights(of rounded: Conv2D, from full: Conv2D) throws -> Conv2D {
    try kernel.assign(full.kernel.value)
    try bias.assign(rounded.bias.value)
    return self
  }
}
