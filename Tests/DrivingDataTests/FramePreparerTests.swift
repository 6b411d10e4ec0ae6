import TestSupport
import Testing

@testable import DrivingData

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
    FramePreparer.cropRows(frame, top: 60, bottom: 25, into: &cropped)
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

  /// OpenCV's INTER_LINEAR averages exact halvings; preparation and driving both do (one resizer).
  @Test func exactHalvingsAreAreaAverages() throws {
    let frame = try ramp(width: 320, height: 160)
    var preparer = FramePreparer(
      pipeline: InputPipeline(resizeWidth: 160, resizeHeight: 80, modelInputShape: [80, 160, 3]))
    let halved = try preparer.prepare(frame)
    #expect(halved == (try frame.resizedArea(width: 160, height: 80)))
    let sum =
      Int(frame[x: 2, y: 4, channel: 0]) + Int(frame[x: 3, y: 4, channel: 0])
      + Int(frame[x: 2, y: 5, channel: 0])
      + Int(frame[x: 3, y: 5, channel: 0])
    #expect(Int(halved[x: 1, y: 2, channel: 0]) == (sum + 2) / 4)
  }

  /// The geometric stage then the colour stage is the whole pipeline (preparation uses them apart).
  @Test func stagesComposeToTheWholePipeline() throws {
    let frame = try ramp(width: 320, height: 160)
    for color in ColorSpace.allCases {
      let pipeline = InputPipeline(
        cropTop: 30, cropBottom: 10, resizeWidth: 100, resizeHeight: 40, colorSpace: color,
        modelInputShape: [40, 100, 3])
      var whole = FramePreparer(pipeline: pipeline)
      var staged = FramePreparer(pipeline: pipeline)
      var image = try staged.resize(frame)
      staged.convertColor(&image)
      #expect(try whole.prepare(frame) == image)
    }
  }

  @Test func rejectsFramesThePipelineDoesNotFit() throws {
    var preparer = FramePreparer(
      pipeline: InputPipeline(cropTop: 100, cropBottom: 100, modelInputShape: [1, 1, 3]))
    #expect(throws: DrivingDataError.self) { try preparer.prepare(try ramp(width: 320, height: 160)) }
  }
}
