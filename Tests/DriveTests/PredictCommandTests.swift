import ConvNet
import DrivingData
import Foundation
import ModelFile
import Testing

@testable import Drive

/// `Predict model.h5 IMAGE...` as a user runs it: the built executable, a model file we wrote, a
/// camera JPEG, a PNG of the same frame, and a file that is not an image.
@Suite struct PredictCommandTests {
  /// The executable sits beside the test bundle in the build folder (`swift test` builds it).
  static var executable: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("PredictCommand").path
  }

  @Test func printsOneSteeringLinePerImageAndFailsOnlyTheBadOne() throws {
    #expect(
      FileManager.default.isExecutableFile(atPath: Self.executable),
      "PredictCommand not built beside the tests at \(Self.executable)")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    let model = try Sequential.seedModel(seed: 11, dropout: 0, threads: 1)
    let modelPath = dir.appendingPathComponent("model.h5").path
    try KerasModelFile.save(model, to: modelPath, pipeline: .seed)
    let jpegPath = dir.appendingPathComponent("frame.jpg").path
    try Data(Fixtures.cameraJPEG).write(to: URL(fileURLWithPath: jpegPath))
    let frame = try JPEGDecoder().decode(Array(Fixtures.cameraJPEG))
    let pngPath = dir.appendingPathComponent("frame.png").path
    try Data(PNGCodec().encode(frame)).write(to: URL(fileURLWithPath: pngPath))
    let badPath = dir.appendingPathComponent("notes.jpg").path
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: badPath))

    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = [modelPath, jpegPath, pngPath, badPath]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = Pipe()
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()

    // The same frame through Drive's predictor: what Predict must print for both files.
    var predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let expected = try predictor.steering(for: frame)
    let lines = text.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
    #expect(lines.count == 3)
    #expect(lines.map { $0.first ?? "" } == [jpegPath, pngPath, badPath])
    for line in lines.prefix(2) {
      let value = try #require(Float(line.last ?? ""))
      #expect(abs(value - expected) < 1e-5)
    }
    #expect(lines.last?.last?.hasPrefix("error:") == true)
    #expect(process.terminationStatus == 1)
  }
}
