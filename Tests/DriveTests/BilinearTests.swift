import DrivingData
import Testing

@testable import Drive

@Suite struct BilinearTests {
  @Test func halfPixelCentresOnASmallCase() throws {
    // One channel pattern along x: 0, 100, 200, 100 (rows equal); 4 -> 2 picks the midpoints of
    // each pair (half-pixel centres: source x = 0.5 and 2.5), so 50 and 150.
    let row: [UInt8] = [0, 100, 200, 100]
    let pixels = (0..<2).flatMap { _ in row.flatMap { [$0, $0, $0] } }
    let image = try RGBImage(width: 4, height: 2, pixels: pixels)
    let out = try Bilinear.resize(image, width: 2, height: 2)
    #expect(out.pixels == [50, 50, 50, 150, 150, 150, 50, 50, 50, 150, 150, 150])
  }

  @Test func upscaleClampsAtEdges() throws {
    let image = try RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200])
    let out = try Bilinear.resize(image, width: 4, height: 1)
    // Source x for targets: -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to the last pixel).
    #expect(out.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [0, 50, 150, 200])
  }

  @Test func constantImageStaysConstant() throws {
    let image = RGBImage(width: 320, height: 160, fill: (12, 34, 56))
    let out = try Bilinear.resize(image, width: 128, height: 128)
    #expect(out.pixels == RGBImage(width: 128, height: 128, fill: (12, 34, 56)).pixels)
  }
}
