import DrivingData
import TensorCore
import Testing

@testable import Report

@Suite struct PicturesTests {
  @Test func featureMapsAreTiledAndScaledPerChannel() throws {
    // 2x3 maps, 3 channels: channel c holds c * (y * 3 + x); channel 0 is constant.
    var scalars = [Float]()
    for y in 0..<2 { for x in 0..<3 { for c in 0..<3 { scalars.append(Float(c * (y * 3 + x))) } } }
    let mosaic = try ReportPictures.featureMapMosaic(
      try Tensor(shape: [2, 3, 3], scalars: scalars), columns: 2, zoom: 1)
    // 2 columns of (3 + 1) pixels + 1, 2 rows of (2 + 1) + 1.
    #expect(mosaic.width == 9 && mosaic.height == 7)
    // Channel 1 (second tile, top row): x = 1 + 4 = 5 .. 7; min 0 -> black, max 5 -> white.
    #expect(mosaic[x: 5, y: 1, channel: 0] == 0)
    #expect(mosaic[x: 7, y: 2, channel: 0] == 255)
    #expect(mosaic[x: 6, y: 1, channel: 0] == 51)  // 1/5 of the range
    // A constant channel draws black, not NaN garbage; gaps stay white.
    #expect(mosaic[x: 1, y: 1, channel: 0] == 0)
    #expect(mosaic[x: 0, y: 0, channel: 0] == 255)
    #expect(throws: DrivingDataError.self) { _ = try ReportPictures.featureMapMosaic(Tensor.zeros([2, 2])) }
  }

  @Test func cropOverlayDarkensOnlyTheCroppedRows() {
    let image = RGBImage(width: 4, height: 10, fill: (200, 100, 50))
    let out = ReportPictures.cropOverlay(image, top: 3, bottom: 2)
    #expect(out[x: 1, y: 0, channel: 0] == 70)  // 200 * 0.35
    #expect(out[x: 1, y: 9, channel: 1] == 35)
    #expect(out[x: 1, y: 3, channel: 0] == 255 && out[x: 1, y: 3, channel: 1] == 0)  // red edge
    #expect(out[x: 1, y: 5, channel: 0] == 200)  // kept band untouched
    #expect(out[x: 1, y: 7, channel: 0] == 255)  // last kept row: red edge
  }

  @Test func zoomRepeatsPixels() throws {
    var image = RGBImage(width: 2, height: 1)
    image.pixels = [1, 2, 3, 4, 5, 6]
    let z = try ReportPictures.zoom(image, by: 2)
    #expect(z.width == 4 && z.height == 2)
    #expect(z.pixels == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
  }
}
