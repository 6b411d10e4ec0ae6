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

  /// The seed network crops 43 rows off the top and 12 off the bottom of its 128x128 input, so it
  /// reads frame rows 53..<145 of 160: a frame garbled elsewhere steers the same, bit for bit.
  @Test func predictorNamesTheFrameRowsItsNetworkReads() throws {
    let model = try Sequential.seedModel(seed: 7, dropout: 0, threads: 1)
    #expect(model.inputRowsRead == 43..<116)
    var predictor = try SequentialPredictor(model: model, pipeline: .seed)
    #expect(predictor.frameRows(width: 320, height: 160) == 53..<145)
    #expect(predictor.frameRows(width: 100, height: 30) == 9..<28)  // other frame sizes resize too
    let frame = try cameraFrame()
    var garbled = frame
    for y in 0..<160 where !(53..<145).contains(y) {
      for i in (y * 960)..<((y + 1) * 960) { garbled.pixels[i] = UInt8(truncatingIfNeeded: i &* 7) }
    }
    let steering = try predictor.steering(for: frame)
    #expect(try predictor.steering(for: garbled) == steering)
    // Garbling a row it reads does change the answer.
    var touched = frame
    for i in (100 * 960)..<(101 * 960) { touched.pixels[i] = 255 &- touched.pixels[i] }
    #expect(try predictor.steering(for: touched) != steering)
    // A network without a leading crop reads every row.
    let plain = try Sequential(
      inputShape: [128, 128, 3],
      layers: [
        Rescaling(scale: 1 / 255, offset: -0.5), Flatten(), Dense(inputCount: 128 * 128 * 3, outputCount: 1),
      ],
      seed: 1, threads: 1)
    #expect(plain.inputRowsRead == 0..<128)
    #expect(try SequentialPredictor(model: plain, pipeline: .seed).frameRows(width: 320, height: 160) == nil)
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
