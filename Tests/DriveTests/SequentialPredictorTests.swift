import ConvNet
import DrivingData
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
    #expect(throws: DriveError.self) {
      try SequentialPredictor(model: model, pipeline: InputPipeline(modelInputShape: [66, 200, 3]))
    }
    // No resize stated: a 320x160 frame does not become 128x128.
    var predictor = try SequentialPredictor(
      model: model, pipeline: InputPipeline(modelInputShape: [128, 128, 3]))
    #expect(throws: DriveError.self) { try predictor.steering(for: try cameraFrame()) }
  }
}

@Suite struct FramePreparerTests {
  func ramp(width: Int, height: Int) throws -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width { pixels += [UInt8(x * 7 % 256), UInt8(y * 11 % 256), UInt8((x + y) % 256)] }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  @Test func cropsThenResizes() throws {
    let frame = try ramp(width: 320, height: 160)
    let pipeline = InputPipeline(
      cropTop: 60, cropBottom: 25, resizeWidth: 200, resizeHeight: 66, modelInputShape: [66, 200, 3])
    var preparer = FramePreparer(pipeline: pipeline)
    var cropped = RGBImage(width: 1, height: 1)
    try FramePreparer.cropRows(frame, top: 60, bottom: 25, into: &cropped)
    #expect(cropped.height == 75)
    #expect(cropped[x: 5, y: 0, channel: 1] == frame[x: 5, y: 60, channel: 1])
    let expected = try cropped.resizedBilinear(width: 200, height: 66)
    #expect(try preparer.prepare(frame) == expected)
    #expect(try preparer.prepare(frame) == expected)
  }

  @Test func colourSpaces() throws {
    let frame = try RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 10, 20, 30])
    var bgr = FramePreparer(pipeline: InputPipeline(colorSpace: .bgr, modelInputShape: [1, 2, 3]))
    #expect(try bgr.prepare(frame).pixels == [0, 0, 255, 30, 20, 10])
    // Expected values from OpenCV 4.10: cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV).
    let colours = try RGBImage(
      width: 6, height: 1, pixels: [255, 0, 0, 10, 20, 30, 0, 255, 0, 0, 0, 255, 128, 128, 128, 200, 100, 50])
    var yuv = FramePreparer(pipeline: InputPipeline(colorSpace: .yuv, modelInputShape: [1, 6, 3]))
    #expect(
      try yuv.prepare(colours).pixels == [
        76, 91, 255, 18, 134, 121, 150, 54, 0, 29, 239, 103, 128, 128, 128, 124, 92, 195,
      ])
  }

  @Test func rejectsFramesThePipelineDoesNotFit() throws {
    var preparer = FramePreparer(
      pipeline: InputPipeline(cropTop: 100, cropBottom: 100, modelInputShape: [1, 1, 3]))
    #expect(throws: DriveError.self) { try preparer.prepare(try ramp(width: 320, height: 160)) }
  }
}
