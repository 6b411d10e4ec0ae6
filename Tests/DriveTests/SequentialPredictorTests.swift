import ConvNet
import DrivingData
import ModelFile
import TensorCore
import Testing

@testable import Drive

@Suite struct SequentialPredictorTests {
  func cameraFrame() throws -> RGBImage { try JPEGDecoder().decode(Array(Fixtures.cameraJPEG)) }

  @Test func seedModelSeesTheResizedFrame() throws {
    let model = try Sequential.seedModel(seed: 7, dropout: 0, threads: 1)
    var predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let frame = try cameraFrame()
    let resized = try frame.resizedBilinear(width: 128, height: 128)
    let batch = SampleBatch(
      images: resized.pixels, labels: [0], provenance: [], height: 128, width: 128, channels: 3)
    let expected = try model.predict(batch: batch)[0]
    #expect(expected.isFinite)
    // Twice: the second frame reuses every buffer and must agree.
    #expect(try predictor.steering(for: frame) == expected)
    #expect(try predictor.steering(for: frame) == expected)
  }

  @Test func shapeMismatchIsAnError() throws {
    let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: 1)
    #expect(throws: ModelFileError.self) {
      try SequentialPredictor(model: model, pipeline: InputPipeline(modelInputShape: [66, 200, 3]))
    }
    // No resize stated: a 320x160 frame does not become 128x128.
    var predictor = try SequentialPredictor(
      model: model, pipeline: InputPipeline(modelInputShape: [128, 128, 3]))
    #expect(throws: DrivingDataError.self) { try predictor.steering(for: try cameraFrame()) }
  }
}
