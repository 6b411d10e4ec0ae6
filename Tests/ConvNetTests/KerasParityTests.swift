// Parity with Keras 3 (JAX backend): fixtures from Scripts/fixtures/convnet_keras_parity.py. Both
// sides draw weights and inputs from SplitMix64, so only Keras's results are committed.
import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

struct ParityFixture: Decodable {
  struct Adam: Decodable {
    var steps: Int
    var learning_rate: Float
    var epsilon: Float
    var losses: [Float]
    var weights_file: String
  }
  struct Seed: Decodable {
    var weight_seed: UInt64
    var input_seed: UInt64
    var labels: [Float]
    var outputs: [Float]
    var loss: Float
    var shapes: [[Int]]
    var first_initial_values: [[Float]]
    var gradients_file: String
    var adam: Adam
  }
  struct Small: Decodable {
    var weight_seed: UInt64
    var input_seed: UInt64
    var labels: [Float]
    var outputs: [Float]
    var loss: Float
    var gradients: [[Float]]
  }
  var seed_model: Seed
  var small_model: Small

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")

  static func load() throws -> ParityFixture {
    try JSONDecoder().decode(
      ParityFixture.self, from: Data(contentsOf: directory.appendingPathComponent("convnet_parity.json")))
  }

  static func floats(_ file: String) throws -> [Float] {
    let data = try Data(contentsOf: directory.appendingPathComponent(file))
    return data.withUnsafeBytes { raw in
      (0..<(data.count / 4)).map {
        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
      }
    }
  }
}

/// Largest |a - b| relative to the largest |b|, so tiny entries are judged on the tensor's scale.
func scaledError(_ a: [Float], _ b: [Float]) -> Float {
  let scale = max(b.map(abs).max() ?? 0, 1e-12)
  return zip(a, b).map { abs($0 - $1) }.max()! / scale
}

@Suite struct KerasParityTests {
  func seedBatch(_ f: ParityFixture.Seed) -> SampleBatch {
    var g = SplitMix64(seed: f.input_seed)
    let images = (0..<(2 * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    return SampleBatch(
      images: images, labels: f.labels, provenance: [], height: 128, width: 128, channels: 3)
  }

  @Test func seedModelForwardGradientsAndAdam() throws {
    let f = try ParityFixture.load().seed_model
    let model = try Sequential.seedModel(seed: f.weight_seed, dropout: 0, threads: 2)
    let params = model.namedParameters.map(\.parameter)
    #expect(params.map(\.shape) == f.shapes)
    // The PRNG twin: Swift's initial weights are Keras's initial weights.
    for (p, first) in zip(params, f.first_initial_values) {
      #expect(Array(p.value.scalars.prefix(first.count)) == first, "\(p.name) initial values")
    }
    let batch = seedBatch(f)
    model.zeroGradients()
    let y = try model.forward(batch: batch, mode: .training)
    #expect(
      closenessRatio(y.scalars, f.outputs, rtol: 1e-4, atol: 1e-5) <= 1,
      "outputs \(y.scalars) vs \(f.outputs)")
    let (loss, dy) = try mseLoss(predictions: y, targets: batch.labels)
    #expect(abs(loss - f.loss) <= 1e-4 * f.loss + 1e-7)
    try model.backward(dy)
    let want = try ParityFixture.floats(f.gradients_file)
    #expect(want.count == model.parameterCount)
    var offset = 0
    for (name, p) in model.namedParameters {
      let got = p.gradient.scalars
      let ref = Array(want[offset..<(offset + p.count)])
      offset += p.count
      #expect(scaledError(got, ref) < 1e-3, "gradient of \(name): \(scaledError(got, ref))")
    }

    // 5 Adam steps from the same start on the same batch.
    let fresh = try Sequential.seedModel(seed: f.weight_seed, dropout: 0, threads: 2)
    let adam = Adam(learningRate: f.adam.learning_rate, epsilon: f.adam.epsilon)
    var losses: [Float] = []
    for _ in 0..<f.adam.steps {
      fresh.zeroGradients()
      let out = try fresh.forward(batch: batch, mode: .training)
      let (l, g) = try mseLoss(predictions: out, targets: batch.labels)
      losses.append(l)
      try fresh.backward(g)
      adam.step(fresh.parameters)
    }
    #expect(
      closenessRatio(losses, f.adam.losses, rtol: 1e-3, atol: 1e-6) <= 1,
      "losses \(losses) vs \(f.adam.losses)")
    let final = try ParityFixture.floats(f.adam.weights_file)
    let start = model.parameters.snapshot()
    let got = fresh.parameters.snapshot()
    // Compare the updates (final - start): each is at most ~5 x lr, so judge them on that scale.
    // Adam normalizes each gradient, so a parameter whose gradient is float noise (|g| ~ 1e-9)
    // may step differently; allow a few of those, but nearly all must agree to 2% of 5 x lr.
    var far = 0
    for i in 0..<got.count where abs((got[i] - start[i]) - (final[i] - start[i])) > 1e-4 { far += 1 }
    #expect(far <= got.count / 1000, "\(far) of \(got.count) weights differ from Keras by more than 1e-4")
  }

  @Test func smallModelWithSamePaddingPoolingAndReLU() throws {
    let f = try ParityFixture.load().small_model
    let model = try Sequential(
      inputShape: [7, 8, 2],
      layers: [
        Conv2D(
          inputChannels: 2, outputChannels: 3, kernelSize: (3, 2), stride: (2, 2), padding: .same,
          activation: .relu),
        MaxPooling2D(poolSize: (2, 2), padding: .same),
        Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: (2, 2), padding: .same, activation: .elu),
        Flatten(),
        Dense(inputCount: 16, outputCount: 1),
      ], seed: f.weight_seed, threads: 1)
    let x = seededTensor([2, 7, 8, 2], seed: f.input_seed)
    model.zeroGradients()
    let y = try model.forward(x, mode: .training)
    #expect(closenessRatio(y.scalars, f.outputs, rtol: 1e-4, atol: 1e-6) <= 1, "\(y.scalars) vs \(f.outputs)")
    let (loss, dy) = try mseLoss(predictions: y, targets: f.labels)
    #expect(abs(loss - f.loss) <= 1e-4 * f.loss + 1e-7)
    try model.backward(dy)
    for ((name, p), ref) in zip(model.namedParameters, f.gradients) {
      #expect(scaledError(p.gradient.scalars, ref) < 1e-4, "gradient of \(name)")
    }
  }
}
