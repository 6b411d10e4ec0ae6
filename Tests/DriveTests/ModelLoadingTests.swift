import ConvNet
import DriveClients
import DrivingData
import Foundation
import ModelFile
import Testing

@testable import Drive

/// `Drive model.h5`: a model file becomes a predictor the server drives with.
@Suite(.serialized) struct ModelLoadingTests {
  @Test func missingOrBrokenFilesAreClearErrors() throws {
    #expect(throws: ModelFileError.self) { try SequentialPredictor.load(path: "/nonexistent/model.h5") }
    let junk = FileManager.default.temporaryDirectory.appendingPathComponent("drive-junk-\(UUID()).h5").path
    defer { try? FileManager.default.removeItem(atPath: junk) }
    try #require(FileManager.default.createFile(atPath: junk, contents: Data("not hdf5".utf8)))
    #expect(throws: ModelFileError.self) { try SequentialPredictor.load(path: junk) }
  }

  /// `Drive model.h5` end to end: a saved seed model, loaded back, steers the simulator's frames
  /// with exactly the saved network's prediction.
  @Test func savedSeedModelDrives() async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("drive-model-\(UUID()).h5").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let original = try Sequential.seedModel(seed: 11, dropout: 0.5, threads: 1)
    try KerasModelFile.save(original, to: path, pipeline: .seed)
    let (predictor, loaded) = try SequentialPredictor.load(path: path)
    #expect(loaded.pipeline.resizeWidth == 128)

    let frame = try JPEGDecoder().decode(Array(Fixtures.cameraJPEG))
    let resized = try frame.resizedBilinear(width: 128, height: 128)
    let expected = try resized.pixels.withUnsafeBufferPointer { try original.predict(image: $0) }

    let server = try await startServer(predictor: predictor)
    let client = try WireClient(port: server.localPort)
    _ = try client.receiveText()
    try client.sendText(Fixtures.telemetry(speed: "25.0000"))
    let reply = try client.receiveText()
    try await server.stop()
    let steering = min(max(expected, -1), 1)
    #expect(reply == SocketIOText.steer(steering: steering, throttle: 0))
  }

  /// A file written by real Keras 2.0.8 (the seed's version), with the pipeline stated on the
  /// command line as for any Keras-trained file.
  @Test func kerasWrittenFileLoads() throws {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("ConvNetTests/Fixtures/keras/keras_2_0_8.h5").path
    let probe = try KerasModelFile.load(
      path: fixture, options: KerasLoadOptions(loadOptimizer: false, threads: 1))
    let shape = probe.model.inputShape
    // Without a stated resize the camera frame does not fit: refused at load, not per frame.
    #expect(throws: ModelFileError.self) { try SequentialPredictor.load(path: fixture) }
    let options = KerasLoadOptions(
      resizeWidth: shape[1], resizeHeight: shape[0], loadOptimizer: false, threads: 1)
    var (predictor, _) = try SequentialPredictor.load(path: fixture, options: options)
    let frame = try JPEGDecoder().decode(Array(Fixtures.cameraJPEG))
    #expect(try predictor.steering(for: frame).isFinite)
  }
}
