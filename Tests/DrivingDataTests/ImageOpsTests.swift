import TestSupport
import Testing

@testable import DrivingData

@Suite("Image operations")
struct ImageOpsTests {
  @Test func areaResizeMatchesOpenCV() throws {
    let source = try Fixtures.image("frame_decoded_opencv.png")
    for (name, w, h) in [("area_128x128.png", 128, 128), ("area_100x45.png", 100, 45)] {
      let resized = try source.resizedArea(width: w, height: h)
      #expect(resized.maximumDifference(to: try Fixtures.image(name)) <= 1, "\(name)")
    }
    #expect(throws: DrivingDataError.self) { try source.resizedArea(width: 400, height: 10) }
  }

  @Test func areaOfExactHalvingIsTheBoxAverage() throws {
    let image = try RGBImage(width: 2, height: 2, pixels: [0, 10, 255, 4, 10, 255, 8, 10, 0, 12, 11, 0])
    let out = try image.resizedArea(width: 1, height: 1)
    #expect(out.pixels == [6, 10, 128])  // (0+4+8+12)/4, 41/4 = 10.25, 510/4 = 127.5 -> 128 (half up)
  }

  @Test func cropTakesTheRectangle() throws {
    let image = RecordingBuilder.frame(width: 20, height: 10, steering: 0)
    let crop = try image.cropped(x: 3, y: 2, width: 5, height: 4)
    #expect(crop.width == 5 && crop.height == 4)
    for y in 0..<4 {
      for x in 0..<5 {
        for c in 0..<3 { #expect(crop[x: x, y: y, channel: c] == image[x: x + 3, y: y + 2, channel: c]) }
      }
    }
    #expect(try image.cropped(top: 4, bottom: 1).height == 5)
    #expect(throws: DrivingDataError.self) { try image.cropped(x: 18, y: 0, width: 5, height: 1) }
    #expect(throws: DrivingDataError.self) { try image.cropped(top: 6, bottom: 4) }
  }

  @Test func flipMirrorsAndIsAnInvolution() {
    let image = RecordingBuilder.frame(width: 7, height: 3, steering: 0.4)
    let flipped = image.flippedHorizontally()
    for y in 0..<3 {
      for x in 0..<7 {
        for c in 0..<3 { #expect(flipped[x: x, y: y, channel: c] == image[x: 6 - x, y: y, channel: c]) }
      }
    }
    #expect(flipped != image)
    #expect(flipped.flippedHorizontally() == image)
  }
}
