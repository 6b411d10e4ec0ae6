import TestSupport
import Testing

@testable import DrivingData

@Suite("PNG codec")
struct PNGCodecTests {
  let frame = RecordingBuilder.frame(width: 64, height: 48, steering: -0.1, seed: 3)

  @Test func rgbRoundTripIsExact() throws {
    let bytes = try frame.pngData()
    #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    #expect(try RGBImage(png: bytes) == frame)
  }

  @Test func greyAndAlphaInputsBecomeRGB() throws {
    let codec = PNGCodec()
    let grey: [UInt8] = (0..<12).map { UInt8($0 * 20) }
    let fromGrey = try codec.decode(codec.encode(pixels: grey, width: 4, height: 3, channels: 1))
    #expect(fromGrey.width == 4 && fromGrey.height == 3)
    for i in 0..<12 {
      #expect(fromGrey.pixels[i * 3] == grey[i] && fromGrey.pixels[i * 3 + 2] == grey[i])
    }
    var rgba: [UInt8] = []
    for i in 0..<12 { rgba += [UInt8(i), UInt8(100 + i), UInt8(200 + i), UInt8(i * 10)] }
    let fromRGBA = try codec.decode(codec.encode(pixels: rgba, width: 3, height: 4, channels: 4))
    #expect(fromRGBA.width == 3 && fromRGBA.height == 4)
    for i in 0..<12 {
      #expect(Array(fromRGBA.pixels[i * 3..<i * 3 + 3]) == Array(rgba[i * 4..<i * 4 + 3]))
    }
  }

  @Test(arguments: ["png_palette", "png_grey", "png_grey_alpha", "png_rgba", "png_rgb16"])
  func colourTypesDecodeToRGBAsOpenCVDoes(name: String) throws {
    let decoded = try PNGCodec().decode(contentsOf: Fixtures.path(name + ".png"))
    let expected = try Fixtures.image(name + "_expected_rgb.png")
    #expect(decoded.width == 8 && decoded.height == 6)
    #expect(decoded == expected)
  }

  @Test func corruptOrTruncatedThrows() throws {
    let good = try frame.pngData()
    let codec = PNGCodec()
    #expect(throws: DrivingDataError.self) { try codec.decode([]) }
    #expect(throws: DrivingDataError.self) { try codec.decode(Array(good.prefix(good.count / 2))) }
    #expect(throws: DrivingDataError.self) { try codec.decode(Array(good.prefix(20))) }
    var badCRC = good
    badCRC[29] ^= 0xFF  // inside IHDR's CRC
    #expect(throws: DrivingDataError.self) { try codec.decode(badCRC) }
    #expect(try codec.decode(good) == frame)
  }

  @Test func encodeRejectsWrongSizes() {
    #expect(throws: DrivingDataError.self) {
      try PNGCodec().encode(pixels: [1, 2, 3], width: 2, height: 1, channels: 3)
    }
    #expect(throws: DrivingDataError.self) {
      try PNGCodec().encode(pixels: [1, 2], width: 1, height: 1, channels: 2)
    }
    #expect(throws: DrivingDataError.self) { try RGBImage(width: 2, height: 2, pixels: [0]) }
  }
}
