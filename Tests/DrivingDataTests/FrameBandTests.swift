import Foundation
import TestSupport
import Testing

@testable import DrivingData

/// Preparing only the band of rows a network reads (its crop): the band is the same bytes as a full
/// decode and resize, rows outside it are left alone, and the source rows named are the ones read.
@Suite struct FrameBandTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Fuzz/Corpus/JPEG").standardized.path

  static func noise(width: Int, height: Int, seed: UInt64) throws -> RGBImage {
    var state = seed
    let pixels = (0..<(width * height * 3)).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  /// Rows `band` of `a` and `b` are equal, and every other row of `b` is all `fill`.
  static func expectBand(_ a: RGBImage, _ b: RGBImage, band: Range<Int>, fill: UInt8, _ label: String) {
    let row = a.width * 3
    for y in 0..<a.height {
      let (x, z) = (a.pixels[(y * row)..<((y + 1) * row)], b.pixels[(y * row)..<((y + 1) * row)])
      if band.contains(y) {
        #expect(x == z, "\(label): row \(y) differs")
      } else {
        #expect(z.allSatisfy { $0 == fill }, "\(label): row \(y) outside \(band) was written")
      }
    }
  }

  @Test(arguments: [
    "baseline_420.jpg", "baseline_422.jpg", "baseline_444.jpg", "camera_320x160.jpg", "exif.jpg", "grey.jpg",
    "optimized.jpg", "progressive.jpg",
  ])
  func jpegBandIsTheFullDecodesRows(name: String) throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/" + name)))
    let full = try JPEGDecoder().decode(bytes)
    let h = full.height
    let bands = [0..<h, 0..<1, (h / 3)..<(2 * h / 3), (h - 1)..<h, 5..<5, 1..<(h - 2)]
    for band in bands {
      for fancy in [true, false] {
        let decoder = JPEGDecoder(fancyUpsampling: fancy)
        let reference = fancy ? full : try decoder.decode(bytes)
        var image = RGBImage(width: full.width, height: h, fill: (0xA5, 0xA5, 0xA5))
        try bytes.withUnsafeBytes { try decoder.decode($0, into: &image, rows: { _, _ in band }) }
        Self.expectBand(reference, image, band: band, fill: 0xA5, "\(name) \(band) fancy \(fancy)")
        // The decoder is reusable after a band (it aborted the rest of the image).
        #expect(try decoder.decode(bytes) == reference)
      }
    }
    // Out-of-range bands are clamped to the image.
    var image = RGBImage(width: full.width, height: h, fill: (0xA5, 0xA5, 0xA5))
    try bytes.withUnsafeBytes { try JPEGDecoder().decode($0, into: &image, rows: { _, _ in -4..<(h + 9) }) }
    #expect(image == full)
  }

  @Test func jpegBandOfATruncatedFileBehavesAsTheFullDecode() throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/camera_320x160.jpg")))
    for cut in [40, bytes.count / 3, bytes.count / 2, bytes.count - 10] {
      let truncated = Array(bytes.prefix(cut))
      let full = try? JPEGDecoder().decode(truncated)
      var image = RGBImage(width: 320, height: 160, fill: (0xA5, 0xA5, 0xA5))
      let banded: Void? = try? truncated.withUnsafeBytes {
        try JPEGDecoder().decode($0, into: &image, rows: { _, _ in 53..<145 })
      }
      #expect((full == nil) == (banded == nil), "cut at \(cut)")
      if let full { Self.expectBand(full, image, band: 53..<145, fill: 0xA5, "cut at \(cut)") }
    }
  }

  @Test(arguments: [
    (320, 160, 128, 128), (320, 160, 200, 66), (97, 71, 40, 30), (64, 40, 32, 20), (40, 30, 97, 71),
  ])
  func resizeBandIsTheFullResizesRowsAndReadsOnlyItsSourceRows(
    sw: Int, sh: Int, w: Int, h: Int
  ) throws {
    let source = try Self.noise(width: sw, height: sh, seed: UInt64(sw * h))
    var resizer = try BilinearResizer(sourceWidth: sw, sourceHeight: sh, width: w, height: h)
    let full = try resizer.resize(source)
    for band in [0..<h, (h / 3)..<(h - h / 4), 0..<1, (h - 1)..<h, 2..<2] {
      var out = RGBImage(width: w, height: h, fill: (7, 7, 7))
      try resizer.resize(source, into: &out, rows: band)
      Self.expectBand(full, out, band: band, fill: 7, "\(sw)x\(sh)->\(w)x\(h) \(band)")
      guard !band.isEmpty else { continue }
      // Garbage outside sourceRows changes nothing in the band; changing its first or last row does.
      let read = BilinearResizer.sourceRows(band, sourceHeight: sh, height: h)
      var poisoned = source
      let row = sw * 3
      for y in 0..<sh where !read.contains(y) {
        for i in (y * row)..<((y + 1) * row) { poisoned.pixels[i] = 255 &- poisoned.pixels[i] }
      }
      var again = out
      try resizer.resize(poisoned, into: &again, rows: band)
      #expect(again == out, "\(band) read a row outside \(read)")
      for edge in [read.lowerBound, read.upperBound - 1] {
        var touched = source
        for i in (edge * row)..<((edge + 1) * row) { touched.pixels[i] = 255 &- touched.pixels[i] }
        var changed = out
        try resizer.resize(touched, into: &changed, rows: band)
        #expect(changed != out, "\(band): source row \(edge) is named but not read")
      }
    }
    var out = full
    #expect(throws: DrivingDataError.self) { try resizer.resize(source, into: &out, rows: 0..<(h + 1)) }
  }

  @Test func preparerBandMatchesFullPreparationAndNamesItsFrameRows() throws {
    let frame = try Self.noise(width: 320, height: 160, seed: 3)
    let cropping = InputPipeline(
      cropTop: 60, cropBottom: 25, resizeWidth: 200, resizeHeight: 66, modelInputShape: [66, 200, 3])
    let plain = InputPipeline(sourceWidth: nil, sourceHeight: nil, modelInputShape: [160, 320, 3])
    for (pipeline, band) in [(InputPipeline.seed, 43..<116), (cropping, 10..<60), (plain, 70..<90)] {
      var full = FramePreparer(pipeline: pipeline)
      var banded = FramePreparer(pipeline: pipeline, rows: band)
      let expected = try full.prepare(frame)
      let got = try banded.prepare(frame)
      let row = expected.width * 3
      #expect(
        got.pixels[(band.lowerBound * row)..<(band.upperBound * row)]
          == expected.pixels[(band.lowerBound * row)..<(band.upperBound * row)])
      // The band prepared from a frame whose rows outside frameRows are garbage is the same.
      let rows = try banded.frameRows(width: 320, height: 160)
      #expect(try full.frameRows(width: 320, height: 160) == 0..<160)
      #expect(rows.count < 160)
      var poisoned = frame
      for y in 0..<160 where !rows.contains(y) {
        for i in (y * 960)..<((y + 1) * 960) { poisoned.pixels[i] = 0 }
      }
      let again = try banded.prepare(poisoned)
      #expect(
        again.pixels[(band.lowerBound * row)..<(band.upperBound * row)]
          == expected.pixels[(band.lowerBound * row)..<(band.upperBound * row)])
    }
    // The seed: its network's 73 rows of 128 come from frame rows 53..<145.
    #expect(try FramePreparer(pipeline: .seed, rows: 43..<116).frameRows(width: 320, height: 160) == 53..<145)
    var bad = FramePreparer(pipeline: .seed, rows: 100..<140)
    #expect(throws: DrivingDataError.self) { try bad.prepare(frame) }
  }
}
