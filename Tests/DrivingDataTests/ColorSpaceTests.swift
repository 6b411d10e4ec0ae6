import TestSupport
import Testing

@testable import DrivingData

@Suite("Colour spaces")
struct ColorSpaceTests {
  @Test func yuvMatchesOpenCV() throws {
    let rgb = try Fixtures.image("linear_128x128.png")
    let yuv = rgb.rgbToYUV()
    // OpenCV's fixed point, reproduced bit for bit.
    #expect(yuv.maximumDifference(to: try Fixtures.image("yuv_128x128.png")) == 0)
    // Back to RGB within rounding.
    #expect(yuv.yuvToRGB().maximumDifference(to: rgb) <= 3)
  }

  @Test func hsvMatchesOpenCV() throws {
    let rgb = try Fixtures.image("linear_128x128.png")
    let hsv = rgb.rgbToHSV()
    let expected = try Fixtures.image("hsv_128x128.png")
    var worst = 0
    for i in 0..<hsv.pixels.count {
      var d = abs(Int(hsv.pixels[i]) - Int(expected.pixels[i]))
      if i % 3 == 0 { d = min(d, 180 - d) }  // hue is circular
      worst = max(worst, d)
    }
    #expect(worst <= 1)
    #expect(hsv.hsvToRGB().maximumDifference(to: rgb) <= 4)
  }

  @Test func primariesHaveKnownValues() throws {
    let image = try RGBImage(width: 4, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128])
    #expect(image.rgbToHSV().pixels == [0, 255, 255, 60, 255, 255, 120, 255, 255, 0, 0, 128])
    #expect(Array(image.rgbToYUV().pixels.suffix(3)) == [128, 128, 128])
  }
}
