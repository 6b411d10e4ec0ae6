// Keras reads what we write. Two tests, named for what they check:
// - with BC_KERAS_PYTHON (a python with tf-keras, keras 3, h5py): write a trained model + inputs + our
//   predictions to a temp dir and run Scripts/fixtures/keras_check.py on them; it must succeed
//   (tf-keras and Keras 3 load it, predict within 1e-4 of us, tf-keras restores the Adam state).
// - always: Fixtures/keras/ours_small.h5 is a file WE wrote (by the first test, via its
//   BC_KERAS_STORE_DIR), ours_small.keras_predictions.h5 holds what tf-keras and Keras 3 predicted
//   from it; we re-load our file and must agree with both within 1e-4.
import DrivingData
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

@Suite struct ModelFileKerasCheckTests {
  static let python = ProcessInfo.processInfo.environment["BC_KERAS_PYTHON"]

  static func writeModelAndPredictions(to dir: String) throws -> (model: String, io: String) {
    let (model, adam, images) = try KerasFixtures.trainedSmallModel()
    let modelPath = "\(dir)/ours_small.h5"
    try KerasModelFile.save(
      model, to: modelPath,
      pipeline: InputPipeline(
        sourceWidth: 64, sourceHeight: 32, resizeWidth: 32, resizeHeight: 32, normalization: .symmetric,
        modelInputShape: [32, 32, 3]),
      optimizer: adam,
      training: TrainingRecord(
        data: ["synthetic"], seed: 42, epochs: 1, batchSize: 8, tool: "ModelFileKerasCheckTests"))
    let ours = try KerasFixtures.predict(model, images, count: 4)
    let ioPath = "\(dir)/ours_small.io.h5"
    let file = try H5File(creating: ioPath)
    let root = try file.root()
    try root.createDataset("inputs", values: images, shape: [4, 32, 32, 3])
    try root.createDataset("outputs", values: ours, shape: [4, 1])
    try file.close()
    return (modelPath, ioPath)
  }

  @Test(.enabled(if: python != nil, "set BC_KERAS_PYTHON to a python with tf-keras, keras and h5py"))
  func kerasLoadsAFileWeWroteAndPredictsLikeUs() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (model, io) = try Self.writeModelAndPredictions(to: dir)
    var arguments = [Self.script, model, io]
    // Regenerating the committed pair: BC_KERAS_STORE_DIR=<Fixtures/keras> keeps both files there.
    let store = ProcessInfo.processInfo.environment["BC_KERAS_STORE_DIR"]
    if let store { arguments += ["--store", "\(store)/ours_small.keras_predictions.h5"] }
    let (status, output) = try Self.runKerasCheck(arguments)
    #expect(status == 0, "keras_check.py failed:\n\(output)")
    #expect(output.contains("keras_check: ok"), "\(output)")
    if let store, status == 0 {
      _ = try? FileManager.default.removeItem(atPath: "\(store)/ours_small.h5")
      try FileManager.default.copyItem(atPath: model, toPath: "\(store)/ours_small.h5")
    }
  }

  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Scripts/fixtures/keras_check.py").path

  static func runKerasCheck(_ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python!)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }

  @Test(.enabled(if: python != nil, "set BC_KERAS_PYTHON to a python with tf-keras, keras and h5py"))
  func kerasLoadsTheSeedModelWeWrote() throws {
    // The full seed network (128x128 in, 252,219 parameters), one Adam step taken.
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let model = try Sequential.seedModel(seed: 5, threads: 1)
    var g = TensorCore.SplitMix64(seed: 6)
    let images = (0..<(4 * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next() >> 56) }
    let adam = Adam(learningRate: 1e-3, epsilon: 1e-8)
    let x = try Tensor(shape: [4, 128, 128, 3], scalars: images.map(Float.init))
    model.zeroGradients()
    try model.backward(
      try mseLoss(predictions: try model.forward(x, mode: .training), targets: [0.1, 0, -0.1, 0.2]).gradient)
    adam.step(model.parameters)
    try KerasModelFile.save(model, to: "\(dir)/model.h5", pipeline: .seed, optimizer: adam)
    let file = try H5File(creating: "\(dir)/io.h5")
    try file.root().createDataset("inputs", values: images, shape: [4, 128, 128, 3])
    try file.root().createDataset(
      "outputs", values: try KerasFixtures.predict(model, images, count: 4), shape: [4, 1])
    try file.close()
    let (status, output) = try Self.runKerasCheck([Self.script, "\(dir)/model.h5", "\(dir)/io.h5"])
    #expect(status == 0, "keras_check.py failed:\n\(output)")
    print(output)
  }

  @Test func committedFileWeWroteMatchesStoredKerasPredictions() throws {
    let loaded = try KerasModelFile.load(path: KerasFixtures.path("ours_small.h5"))
    #expect(loaded.writtenByBehavioralCloning)
    let file = try H5File(opening: KerasFixtures.path("ours_small.keras_predictions.h5"))
    defer { try? file.close() }
    let root = try file.root()
    let inputs = try root.dataset("inputs").read(as: UInt8.self)
    let ours = try KerasFixtures.predict(loaded.model, inputs, count: 4)
    for framework in ["tfkeras_outputs", "keras3_outputs"] {
      let theirs = try root.dataset(framework).read(as: Float.self)
      let diff = KerasFixtures.maxDifference(ours, theirs)
      #expect(diff < 1e-4, "\(framework): max |ours - keras| = \(diff)")
    }
    // Our writer is deterministic: writing the same seeded model today gives the same predictions.
    let (model, _, images) = try KerasFixtures.trainedSmallModel()
    #expect(images == inputs)
    #expect(KerasFixtures.maxDifference(try KerasFixtures.predict(model, images, count: 4), ours) < 1e-6)
  }
}
