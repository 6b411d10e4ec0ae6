import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

// Finite differences for every layer type (the per-source-file tests hold forward semantics).
@Suite struct LayerGradientTests {
  static let tolerance: Float = 2e-2

  @Test(arguments: [Padding.valid, .same], [1, 2])
  func conv2D(padding: Padding, stride: Int) throws {
    for act in [Activation.linear, .elu] {
      for threads in [1, 2] {
        let layer = Conv2D(
          inputChannels: 2, outputChannels: 3, kernelSize: (3, 2), stride: (stride, stride), padding: padding,
          activation: act, name: "c")
        var g = SplitMix64(seed: 5)
        layer.initialize(generator: &g)
        try layer.bias.assign(seededTensor([3], seed: 8, low: -0.2, high: 0.2))
        layer.threads = threads
        let r = try checkGradients(layer, input: seededTensor([3, 5, 6, 2], seed: 3))
        #expect(r.input < Self.tolerance, "dx \(act) \(threads)")
        #expect(r.parameters["kernel"]! < Self.tolerance, "dW \(act)")
        #expect(r.parameters["bias"]! < Self.tolerance, "db \(act)")
      }
    }
  }

  @Test func dense() throws {
    for act in [Activation.linear, .elu] {
      let layer = Dense(inputCount: 7, outputCount: 4, activation: act, name: "d")
      var g = SplitMix64(seed: 2)
      layer.initialize(generator: &g)
      let r = try checkGradients(layer, input: seededTensor([3, 7], seed: 4))
      #expect(r.input < Self.tolerance)
      #expect(r.parameters["kernel"]! < Self.tolerance)
      #expect(r.parameters["bias"]! < Self.tolerance)
    }
  }

  @Test func shapeLayers() throws {
    let x = seededTensor([2, 6, 5, 3], seed: 6)
    #expect(try checkGradients(Cropping2D(rows: (2, 1), columns: (1, 0)), input: x).input < Self.tolerance)
    #expect(try checkGradients(Rescaling(scale: 0.5, offset: -1), input: x).input < Self.tolerance)
    #expect(try checkGradients(Flatten(), input: x).input < Self.tolerance)
  }

  @Test func activations() throws {
    // Inputs kept away from the kink at 0, where a finite difference is meaningless.
    let x = seededTensor([2, 10], seed: 7).map { $0 > 0 ? $0 + 0.1 : $0 - 0.1 }
    for act in Activation.allCases {
      #expect(try checkGradients(ActivationLayer(act), input: x).input < Self.tolerance, "\(act)")
    }
  }

  @Test func maxPooling() throws {
    // Distinct values 0.1 apart: a 1e-2 probe never changes which cell wins.
    var g = SplitMix64(seed: 9)
    var values = (0..<(2 * 5 * 6 * 2)).map { Float($0) * 0.1 }
    values.shuffle(using: &g)
    let x = try Tensor(shape: [2, 5, 6, 2], scalars: values)
    for padding in Padding.allCases {
      let r = try checkGradients(MaxPooling2D(poolSize: (2, 2), padding: padding), input: x)
      #expect(r.input < Self.tolerance)
    }
  }

  @Test func dropoutUsesItsMask() throws {
    let layer = Dropout(rate: 0.3, seed: 1)
    let x = seededTensor([4, 50], seed: 2)
    let y = try layer.forward(x, mode: .training)
    let dy = Tensor.ones(y.shape)
    let dx = try layer.backward(dy)
    // Backward is the same mask: dx * x == y elementwise.
    #expect(isClose(try dx.multiplying(x), y))
    let kept = dx.scalars.filter { $0 != 0 }.count
    #expect(kept > 100 && kept < 170)
    #expect(kept == dx.scalars.filter { abs($0 - 1 / 0.7) < 1e-6 }.count)
    #expect(try layer.forward(x, mode: .inference) == x)
  }

  @Test func mseLossGradient() throws {
    let p = seededTensor([5, 1], seed: 3)
    let t: [Float] = [0.1, -0.2, 0.3, 0, 0.5]
    let (loss, grad) = try mseLoss(predictions: p, targets: t)
    let want = zip(p.scalars, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 5
    #expect(abs(loss - want) < 1e-6)
    let numeric = try numericGradient(
      of: { try mseLoss(predictions: $0, targets: t).loss }, at: p, epsilon: 1e-3)
    #expect(gradientError(analytic: grad.scalars, numeric: numeric) < 1e-2)
    #expect(throws: ConvNetError.self) { try mseLoss(predictions: p, targets: [1]) }
  }
}
