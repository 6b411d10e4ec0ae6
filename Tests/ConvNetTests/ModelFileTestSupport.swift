// Shared helpers for the ModelFile*Tests: fixture paths, expected-output files, forward passes.
import DrivingData
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

enum KerasFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/keras").path

  static func path(_ name: String) -> String { "\(directory)/\(name)" }

  /// `<name>.expected.h5`: uint8 inputs (N, H, W, 3) and Python's outputs (N, 1).
  static func expected(_ name: String) throws -> (inputs: [UInt8], shape: [Int], outputs: [Float]) {
    let file = try H5File(opening: path("\(name).expected.h5"))
    defer { try? file.close() }
    let root = try file.root()
    let inputs = try root.dataset("inputs")
    return (
      try inputs.read(as: UInt8.self), try inputs.shape(), try root.dataset("outputs").read(as: Float.self)
    )
  }

  /// Runs `model` on uint8 NHWC images, one output per image.
  static func predict(_ model: Sequential, _ images: [UInt8], count: Int) throws -> [Float] {
    let per = images.count / count
    return try (0..<count).map { i in
      try Array(images[(i * per)..<((i + 1) * per)]).withUnsafeBufferPointer { try model.predict(image: $0) }
    }
  }

  static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "bc-modelfile-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

extension KerasFixtures {
  /// A small seed-like model (32x32x3 in) with every savable layer kind, trained `steps` Adam steps
  /// on seeded data so its weights, BatchNormalization statistics and Adam moments are all non-trivial.
  static func trainedSmallModel(steps: Int = 3, dropout: Bool = true) throws -> (Sequential, Adam, [UInt8]) {
    let bn = BatchNormalization(channels: 6)
    var layers: [any Layer] = [
      Cropping2D(rows: (6, 2)), Rescaling(scale: 1 / 127.5, offset: -1),
      Conv2D(inputChannels: 3, outputChannels: 6, kernelSize: (3, 3), stride: (2, 2), activation: .elu),
      MaxPooling2D(poolSize: (2, 2)), bn,
      Conv2D(inputChannels: 6, outputChannels: 8, kernelSize: (3, 3), padding: .same, activation: .relu),
    ]
    if dropout { layers.append(Dropout(rate: 0.25, seed: 3)) }
    layers += [
      Flatten(), ActivationLayer(.elu),
      Dense(inputCount: 5 * 7 * 8, outputCount: 10, activation: .elu), Dense(inputCount: 10, outputCount: 1),
    ]
    let model = try Sequential(inputShape: [32, 32, 3], layers: layers, seed: 42, threads: 1)
    var g = TensorCore.SplitMix64(seed: 9)
    bn.movingMean = (0..<6).map { _ in g.nextUnitFloat() * 0.4 - 0.2 }
    bn.movingVariance = (0..<6).map { _ in g.nextUnitFloat() + 0.5 }
    let adam = Adam(learningRate: 1e-3)
    try continueTraining(model, adam, steps: steps)
    return (model, adam, Array(trainingImages[0..<(4 * 32 * 32 * 3)]))
  }

  /// Eight seeded 32x32 RGB images and their targets.
  static let trainingImages: [UInt8] = {
    var g = TensorCore.SplitMix64(seed: 10)
    return (0..<(8 * 32 * 32 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next() >> 56) }
  }()
  static let trainingTargets: [Float] = [0.1, -0.2, 0.3, 0, -0.4, 0.25, 0.05, -0.1]

  /// `steps` more Adam steps on the fixed batch.
  static func continueTraining(_ model: Sequential, _ adam: Adam, steps: Int) throws {
    let x = try Tensor(shape: [8, 32, 32, 3], scalars: trainingImages.map(Float.init))
    for _ in 0..<steps {
      model.zeroGradients()
      let y = try model.forward(x, mode: .training)
      try model.backward(try mseLoss(predictions: y, targets: trainingTargets).gradient)
      adam.step(model.parameters)
    }
  }
}
