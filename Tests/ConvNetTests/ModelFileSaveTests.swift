// Saving: the file has Keras's legacy layout, reads back to the same model, pipeline, provenance and
// Adam state, and training resumed from it continues exactly as if it had never stopped.
import DrivingData
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

@Suite struct ModelFileSaveTests {
  let pipeline = InputPipeline(
    sourceWidth: 64, sourceHeight: 40, cropTop: 4, cropBottom: 4, resizeWidth: 32, resizeHeight: 32,
    colorSpace: .rgb, normalization: .symmetric, modelInputShape: [32, 32, 3])
  var training: TrainingRecord {
    var history = TrainingHistory()
    history.records = [
      EpochRecord(
        epoch: 1, loss: 0.25, valLoss: 0.3, learningRate: 1e-3, seconds: 1.5, imagesPerSecond: 100,
        predictionStd: 0.1,
        event: "best")
    ]
    history.bestEpoch = 1
    return TrainingRecord(
      data: ["track1/driving_log.csv"], trainingSamples: 8, seed: 42, epochs: 1, batchSize: 8,
      history: history,
      notes: ["test"], tool: "tests")
  }

  @Test func writesKerasLegacyLayout() throws {
    let (model, adam, _) = try KerasFixtures.trainedSmallModel()
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/model.h5"
    try KerasModelFile.save(model, to: path, pipeline: pipeline, optimizer: adam, training: training)

    let file = try H5File(opening: path)
    defer { try? file.close() }
    let root = try file.root()
    #expect(try root.stringAttribute("keras_version") == KerasModelFile.kerasVersion)
    #expect(try root.stringAttribute("backend") == "tensorflow")
    #expect(try root.stringAttribute("bc_format") == KerasModelFile.formatName)
    #expect(try root.attribute("bc_format_version", as: Int64.self) == 1)
    let config =
      try JSONSerialization.jsonObject(with: Data(try root.stringAttribute("model_config").utf8))
      as? [String: Any]
    #expect(config?["class_name"] as? String == "Sequential")
    let layers = ((config?["config"] as? [String: Any])?["layers"] as? [[String: Any]]) ?? []
    #expect(
      layers.map { $0["class_name"] as? String ?? "" } == [
        "InputLayer", "Cropping2D", "Rescaling", "Conv2D", "MaxPooling2D", "BatchNormalization", "Conv2D",
        "Dropout",
        "Flatten", "Activation", "Dense", "Dense",
      ])
    let training =
      try JSONSerialization.jsonObject(with: Data(try root.stringAttribute("training_config").utf8))
      as? [String: Any]
    // "mean_squared_error", not "mse": Keras 3.15 cannot compile a legacy H5 whose loss is "mse".
    #expect(training?["loss"] as? String == "mean_squared_error")
    let optimizerConfig = training?["optimizer_config"] as? [String: Any]
    #expect(optimizerConfig?["class_name"] as? String == "Custom>Adam")

    let weights = try root.group("model_weights")
    #expect(try weights.stringArrayAttribute("layer_names") == model.layers.map(\.name))
    let conv = try weights.group("conv2d_1")
    #expect(try conv.stringArrayAttribute("weight_names") == ["conv2d_1/kernel:0", "conv2d_1/bias:0"])
    #expect(try conv.dataset("conv2d_1/kernel:0").shape() == [3, 3, 3, 6])
    let kernel = try conv.dataset("conv2d_1/kernel:0").read(as: Float.self)
    #expect(kernel == (try model.parameter(named: "conv2d_1.kernel")).value.scalars)

    let optimizer = try root.group("optimizer_weights")
    let names = try optimizer.stringArrayAttribute("weight_names")
    #expect(names.first == "iteration:0")
    #expect(names.count == 1 + 2 * model.layers.flatMap(\.parameters).count)
    #expect(names[1] == "Adam/m/conv2d_1/kernel:0" && names[2] == "Adam/v/conv2d_1/kernel:0")
    #expect(try optimizer.dataset("iteration:0").read(as: Int64.self) == [3])
    #expect(try optimizer.dataset("iteration:0").shape() == [])
  }

  @Test func roundTripKeepsEverything() throws {
    let (model, adam, images) = try KerasFixtures.trainedSmallModel()
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/model.h5"
    try KerasModelFile.save(model, to: path, pipeline: pipeline, optimizer: adam, training: training)
    let loaded = try KerasModelFile.load(path: path)
    #expect(loaded.writtenByBehavioralCloning)
    #expect(loaded.pipeline == pipeline)
    #expect(loaded.training == training)
    #expect(loaded.model.layers.map(\.name) == model.layers.map(\.name))
    #expect(loaded.model.parameters.snapshot() == model.parameters.snapshot())
    let bn = try #require(loaded.model.layers.first { $0 is BatchNormalization } as? BatchNormalization)
    let original = try #require(model.layers.first { $0 is BatchNormalization } as? BatchNormalization)
    #expect(bn.movingMean == original.movingMean && bn.movingVariance == original.movingVariance)
    let ours = try KerasFixtures.predict(model, images, count: 4)
    #expect(try KerasFixtures.predict(loaded.model, images, count: 4) == ours)
    let restored = try #require(loaded.optimizer)
    #expect(restored.iterations == adam.iterations)
    for (_, p) in model.namedParameters {
      let q = try loaded.model.parameter(named: model.namedParameters.first { $0.parameter === p }!.name)
      #expect(try restored.slot("m", for: q) == adam.slot("m", for: p))
      #expect(try restored.slot("v", for: q) == adam.slot("v", for: p))
    }
  }

  @Test func trainingResumedFromTheFileMatchesUninterruptedTraining() throws {
    // Train 3 steps, save, load, 2 more steps  ==  5 steps straight (no Dropout: its mask stream
    // is not part of a Keras file).
    let (a, adamA, _) = try KerasFixtures.trainedSmallModel(steps: 5, dropout: false)
    let (b, adamB, _) = try KerasFixtures.trainedSmallModel(steps: 3, dropout: false)
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try KerasModelFile.save(b, to: "\(dir)/m.h5", optimizer: adamB)
    let loaded = try KerasModelFile.load(path: "\(dir)/m.h5")
    let resumedAdam = try #require(loaded.optimizer)
    #expect(resumedAdam.iterations == 3 && resumedAdam.learningRate == adamB.learningRate)
    try KerasFixtures.continueTraining(loaded.model, resumedAdam, steps: 2)
    // Without the restored moments the same two steps land elsewhere: the check has teeth.
    let fresh = try KerasModelFile.load(path: "\(dir)/m.h5", options: KerasLoadOptions(loadOptimizer: false))
    try KerasFixtures.continueTraining(fresh.model, Adam(learningRate: 1e-3), steps: 2)
    #expect(KerasFixtures.maxDifference(fresh.model.parameters.snapshot(), a.parameters.snapshot()) > 1e-5)
    let diff = KerasFixtures.maxDifference(loaded.model.parameters.snapshot(), a.parameters.snapshot())
    #expect(diff < 1e-6, "resumed vs uninterrupted parameters differ by \(diff)")
    #expect(resumedAdam.iterations == adamA.iterations)
  }

  @Test func failedSaveLeavesTheOldFileIntact() throws {
    final class Opaque: Layer {
      var name = "opaque"
      var typeName: String { "Opaque" }
      var namePrefix: String { "opaque" }
      var computesInputGradient = true
      var threads = 1
      func outputShape(inputShape: [Int]) throws(ConvNetError) -> [Int] { inputShape }
      func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor { x }
      func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor { dy }
    }
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/model.h5"
    try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
    let model = try Sequential(inputShape: [4], layers: [Opaque()])
    #expect(throws: ModelFileError.self) { try KerasModelFile.save(model, to: path) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    #expect(throws: ModelFileError.self) { try KerasModelFile.save(model, to: "\(dir)/missing/dir/model.h5") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.h5"])
  }
}

// A save killed mid-write leaves `.<name>.<pid>.partial`; the next save removes it, and only it.
@Suite struct StalePartialTests {
  @Test func aSaveRemovesPartialsOfExitedWritersOnly() throws {
    let (model, adam, _) = try KerasFixtures.trainedSmallModel()
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/model.h5"
    // A pid that certainly exited: a child we started and reaped.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = "\(dir)/.model.h5.\(child.processIdentifier).partial"
    let live = "\(dir)/.model.h5.\(getppid()).partial"  // the parent runs: its save may be under way
    let other = "\(dir)/.other.h5.\(child.processIdentifier).partial"  // another model's
    for file in [dead, live, other] {
      #expect(FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3])))
    }
    try KerasModelFile.save(model, to: path, optimizer: adam)
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: live))
    #expect(FileManager.default.fileExists(atPath: other))
    #expect(FileManager.default.fileExists(atPath: path))
    #expect(!FileManager.default.fileExists(atPath: StalePartials.temporaryPath(for: path)))
  }
}
