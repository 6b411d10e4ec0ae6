import TestSupport
import Testing

@testable import DrivingData

@Suite("Bilinear resize")
struct BilinearResizeTests {
  @Test(arguments: [
    ("linear_128x128.png", 128, 128), ("linear_200x66.png", 200, 66), ("linear_160x80.png", 160, 80),
  ])
  func matchesOpenCVOnASimulatorFrame(name: String, width: Int, height: Int) throws {
    let source = try Fixtures.image("frame_decoded_opencv.png")
    let expected = try Fixtures.image(name)
    let resized = try source.resizedBilinear(width: width, height: height)
    #expect(resized.width == width && resized.height == height)
    #expect(resized.maximumDifference(to: expected) <= 1)
    #expect(resized.meanAbsoluteDifference(to: expected) < 0.05)
  }

  @Test func matchesOpenCVUpscalingAndOnNoise() throws {
    let crop = try Fixtures.image("crop_40x30.png")
    #expect(
      try crop.resizedBilinear(width: 97, height: 71).maximumDifference(
        to: Fixtures.image("linear_up_97x71.png")) <= 1)
    let noise = try Fixtures.image("noise_37x23.png")
    #expect(
      try noise.resizedBilinear(width: 16, height: 50).maximumDifference(
        to: Fixtures.image("noise_linear_16x50.png")) <= 1)
  }

  @Test func fixedPointAgreesWithFloatReference() throws {
    for (w, h, tw, th) in [(320, 160, 128, 128), (33, 17, 70, 9), (5, 5, 1, 1), (1, 3, 4, 4)] {
      let image = RecordingBuilder.frame(width: w, height: h, steering: 0.1, seed: UInt64(w))
      var resizer = try BilinearResizer(sourceWidth: w, sourceHeight: h, width: tw, height: th)
      let fast = try resizer.resize(image)
      let reference = resizeBilinearReference(image, width: tw, height: th)
      #expect(fast.maximumDifference(to: reference) <= 1, "\(w)x\(h) -> \(tw)x\(th)")
    }
  }

  @Test func resizerIsReusableAndChecksSizes() throws {
    var resizer = try BilinearResizer(sourceWidth: 320, sourceHeight: 160, width: 128, height: 128)
    let a = RecordingBuilder.frame(width: 320, height: 160, steering: 0.3, seed: 1)
    let b = RecordingBuilder.frame(width: 320, height: 160, steering: -0.3, seed: 2)
    var output = RGBImage(width: 128, height: 128)
    try resizer.resize(a, into: &output)
    let first = output
    try resizer.resize(b, into: &output)
    try resizer.resize(a, into: &output)
    #expect(output == first)
    #expect(throws: DrivingDataError.self) { try resizer.resize(RGBImage(width: 10, height: 10)) }
    #expect(throws: DrivingDataError.self) {
      try BilinearResizer(sourceWidth: 0, sourceHeight: 1, width: 1, height: 1)
    }
  }

  @Test func constantImageStaysConstant() throws {
    let grey = RGBImage(width: 320, height: 160, fill: (37, 128, 255))
    let out = try grey.resizedBilinear(width: 128, height: 128)
    #expect(out == RGBImage(width: 128, height: 128, fill: (37, 128, 255)))
  }
}
