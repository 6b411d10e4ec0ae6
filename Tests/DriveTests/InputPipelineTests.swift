import DrivingData
import Testing

@testable import Drive

@Suite struct InputPipelineTests {
  func ramp(width: Int, height: Int) throws -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width { pixels += [UInt8(x * 7 % 256), UInt8(y * 11 % 256), UInt8((x + y) % 256)] }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  @Test func parsesCommandLineForms() throws {
    let p = try InputPipeline.parse(resize: "128x128", crop: "43,12", normalize: "symmetric")
    #expect(p == InputPipeline(resizeWidth: 128, resizeHeight: 128, cropTop: 43, cropBottom: 12, normalization: .symmetric))
    #expect(try InputPipeline.parse(resize: nil, crop: nil, normalize: "0.5:-2").normalization == .affine(scale: 0.5, offset: -2))
    for bad in ["128", "0x5", "axb", "128x128x3"] {
      #expect(throws: DriveError.self) { try InputPipeline.parse(resize: bad, crop: nil, normalize: nil) }
    }
    #expect(throws: DriveError.self) { try InputPipeline.parse(resize: nil, crop: "43", normalize: nil) }
    #expect(throws: DriveError.self) { try InputPipeline.parse(resize: nil, crop: "-1,2", normalize: nil) }
    #expect(throws: DriveError.self) { try InputPipeline.parse(resize: nil, crop: nil, normalize: "zscore") }
  }

  @Test func cropsRowsAndNormalizes() throws {
    let image = try ramp(width: 4, height: 6)
    let p = InputPipeline(cropTop: 2, cropBottom: 1, normalization: .symmetric)
    let out = try p.prepare(image)
    #expect(out.height == 3)
    #expect(out.width == 4)
    // Row 0 of the output is row 2 of the input.
    #expect(out.values[0] == Float(image.pixels[2 * 4 * 3]) / 127.5 - 1)
    #expect(out.values.count == 3 * 4 * 3)
    #expect(throws: DriveError.self) { try InputPipeline(cropTop: 3, cropBottom: 3).prepare(image) }
  }

  @Test func seedPipelineResizesTo128() throws {
    let image = try ramp(width: 320, height: 160)
    let out = try InputPipeline.seed.resizeAndCrop(image)
    #expect(out.width == 128)
    #expect(out.height == 128)
  }
}
