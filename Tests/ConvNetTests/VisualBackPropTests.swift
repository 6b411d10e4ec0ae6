// VisualBackProp against a direct numpy implementation (Scripts/fixtures/visualbackprop_numpy.py:
// its own im2col forward and the gather's adjoint as transposed conv), plus properties a wrong
// geometry would break. Both sides draw weights and inputs from SplitMix64.
import Foundation
import Testing

@testable import ConvNet
@testable import TensorCore

struct VisualBackPropFixture: Decodable {
  struct Model: Decodable {
    var weight_seed: UInt64
    var bias_seed: UInt64
    var input_seed: UInt64
    var prediction: Float
    var raw_range: [Float]
    var height: Int
    var width: Int
    var mask: [Float]?
    var mask_file: String?
  }
  var seed_model: Model
  var small_model: Model

  static func load() throws -> VisualBackPropFixture {
    try JSONDecoder().decode(
      VisualBackPropFixture.self,
      from: Data(contentsOf: ParityFixture.directory.appendingPathComponent("visualbackprop.json")))
  }
}

@Suite struct VisualBackPropTests {
  /// Biases uniform(-0.1, 0.1) from SplitMix64(seed), layer by layer (the script's order).
  func drawBiases(_ model: Sequential, seed: UInt64) {
    var g = SplitMix64(seed: seed)
    for layer in model.layers {
      let bias = (layer as? Conv2D)?.bias ?? (layer as? Dense)?.bias
      guard let bias else { continue }
      for i in 0..<bias.count { bias.values[i] = g.nextFloat(in: -0.1, 0.1) }
    }
  }

  func image(count: Int, seed: UInt64) -> [UInt8] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next()) }
  }

  func check(_ model: Sequential, _ f: VisualBackPropFixture.Model, want: [Float]) throws {
    drawBiases(model, seed: f.bias_seed)
    let pixels = image(count: model.inputShape.reduce(1, *), seed: f.input_seed)
    let (prediction, mask) = try pixels.withUnsafeBufferPointer { try model.predictWithSaliency(image: $0) }
    #expect(abs(prediction - f.prediction) <= 1e-4 * max(1, abs(f.prediction)), "prediction \(prediction)")
    #expect(mask.width == f.width && mask.height == f.height)
    #expect(mask.values.count == want.count)
    let worst = zip(mask.values, want).map { abs($0 - $1) }.max() ?? .infinity
    #expect(worst < 1e-3, "largest difference from numpy \(worst)")
    let scale = max(abs(f.raw_range[0]), abs(f.raw_range[1]))
    #expect(abs(mask.rawRange.lowerBound - f.raw_range[0]) <= 1e-3 * scale)
    #expect(abs(mask.rawRange.upperBound - f.raw_range[1]) <= 1e-3 * scale)
    // The same forward as `predict(image:)`.
    let plain = try pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
    #expect(plain == prediction)
  }

  @Test func seedModelMatchesNumpy() throws {
    let f = try VisualBackPropFixture.load().seed_model
    let model = try Sequential.seedModel(seed: f.weight_seed, threads: 2)
    try check(model, f, want: try ParityFixture.floats(try #require(f.mask_file)))
  }

  @Test func smallModelWithSamePaddingPoolingAndCropsMatchesNumpy() throws {
    let f = try VisualBackPropFixture.load().small_model
    let model = try Sequential(
      inputShape: [13, 17, 2],
      layers: [
        Cropping2D(rows: (2, 1), columns: (1, 2)),
        Conv2D(
          inputChannels: 2, outputChannels: 3, kernelSize: (3, 2), stride: (2, 2), padding: .same,
          activation: .relu),
        MaxPooling2D(poolSize: (2, 2), padding: .same),
        Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: (2, 2), padding: .same),
        ActivationLayer(.elu),
        Conv2D(inputChannels: 4, outputChannels: 2, kernelSize: (2, 3), stride: (1, 2), activation: .elu),
        Flatten(),
        Dense(inputCount: 4, outputCount: 1),
      ], seed: f.weight_seed, threads: 1)
    try check(model, f, want: try #require(f.mask))
  }

  /// One bright patch off-centre (top left of the kept rows) on black, positive kernels and a
  /// negative bias: only windows over the patch fire, so the mask must peak there and vanish far
  /// from it. A flipped or shifted upsampling, or a crop put back at the wrong rows, fails this.
  @Test func maskPeaksWhereTheOnlyActiveRegionIs() throws {
    let model = try Sequential(
      inputShape: [40, 48, 3],
      layers: [
        Cropping2D(rows: (6, 4)),
        Rescaling(scale: 1 / 255),
        Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), activation: .relu),
        Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: (3, 3), activation: .relu),
        Flatten(),
        Dense(inputCount: 12 * 21 * 4, outputCount: 1),
      ], seed: 1, threads: 1)
    for layer in model.layers {
      guard let conv = layer as? Conv2D else { continue }
      for i in 0..<conv.kernel.count { conv.kernel.values[i] = 0.1 }
      for i in 0..<conv.bias.count { conv.bias.values[i] = -0.05 }
    }
    var pixels = [UInt8](repeating: 0, count: 40 * 48 * 3)
    let patch = (rows: 10..<18, columns: 6..<14)  // model rows; 4...12 after the crop
    for r in patch.rows { for c in patch.columns { for k in 0..<3 { pixels[(r * 48 + c) * 3 + k] = 255 } } }
    let mask = try pixels.withUnsafeBufferPointer { try model.visualBackProp(image: $0) }
    #expect(mask.width == 48 && mask.height == 40)
    let peak = mask.values.indices.max { mask.values[$0] < mask.values[$1] }!
    #expect(
      patch.rows.contains(peak / 48) && patch.columns.contains(peak % 48),
      "peak at \(peak / 48), \(peak % 48)")
    var inside: Float = 0
    for r in patch.rows { for c in patch.columns { inside += mask[row: r, column: c] } }
    inside /= Float(patch.rows.count * patch.columns.count)
    #expect(inside > 0.3, "mean inside the patch \(inside)")
    // Far from the patch (beyond both receptive fields) and in the cropped rows: nothing.
    for r in 0..<40 {
      for c in 0..<48 where r < 6 || r >= 36 || r >= 26 || c >= 26 {
        #expect(mask[row: r, column: c] == 0, "mask at \(r), \(c)")
      }
    }
  }

  @Test func constantImageGivesAZeroMaskNotNaN() throws {
    let model = try Sequential.seedModel(seed: 3, threads: 1)
    for layer in model.layers {
      guard let conv = layer as? Conv2D else { continue }
      for i in 0..<conv.kernel.count { conv.kernel.values[i] = 0 }
    }
    let pixels = [UInt8](repeating: 128, count: 128 * 128 * 3)
    let mask = try pixels.withUnsafeBufferPointer { try model.visualBackProp(image: $0) }
    #expect(mask.values.allSatisfy { $0 == 0 })
  }

  @Test func modelsItCannotExplainThrow() throws {
    let dense = try Sequential(inputShape: [4], layers: [Dense(inputCount: 4, outputCount: 1)])
    let four = [UInt8](repeating: 1, count: 4)
    #expect(throws: ConvNetError.self) {
      try four.withUnsafeBufferPointer { try dense.visualBackProp(image: $0) }
    }
    let model = try Sequential.seedModel(seed: 0, threads: 1)
    let short = [UInt8](repeating: 1, count: 10)
    #expect(throws: ConvNetError.self) {
      try short.withUnsafeBufferPointer { try model.visualBackProp(image: $0) }
    }
  }

  /// Upsampling is the exact adjoint of the conv's window sum: <conv_ones(x), m> == <x, up(m)>,
  /// for 'valid' with a remainder and for 'same' with even kernels.
  @Test func upsamplingIsTheAdjointOfTheWindowSum() throws {
    for (h, w, k, s, padding) in [
      (9, 11, (3, 2), (2, 3), Padding.valid), (9, 11, (2, 4), (2, 2), .same), (5, 5, (5, 5), (1, 1), .valid),
    ] {
      let g = try ConvGeometry(
        inputHeight: h, inputWidth: w, channels: 1, kernelHeight: k.0, kernelWidth: k.1, strideY: s.0,
        strideX: s.1, padding: padding)
      var rng = SplitMix64(seed: UInt64(h * w + k.0))
      let x = (0..<(h * w)).map { _ in rng.nextFloat(in: -1, 1) }
      let m = (0..<g.outputPixels).map { _ in rng.nextFloat(in: -1, 1) }
      var lhs: Double = 0
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          var sum: Double = 0
          for ky in 0..<k.0 {
            for kx in 0..<k.1 {
              let (y, xx) = (oy * s.0 - g.padTop + ky, ox * s.1 - g.padLeft + kx)
              if y >= 0, y < h, xx >= 0, xx < w { sum += Double(x[y * w + xx]) }
            }
          }
          lhs += sum * Double(m[oy * g.outputWidth + ox])
        }
      }
      let up = try VisualBackPropPlan.upsample(
        m, height: g.outputHeight, width: g.outputWidth, to: [h, w, 1], kernel: (k.0, k.1),
        stride: (s.0, s.1),
        padding: padding)
      let rhs = zip(x, up).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      #expect(abs(lhs - rhs) < 1e-4, "\(padding) \(k) \(s): \(lhs) vs \(rhs)")
    }
  }
}
