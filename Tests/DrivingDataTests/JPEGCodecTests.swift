import TestSupport
import Testing

@testable import DrivingData

@Suite("JPEG codec")
struct JPEGCodecTests {
  let frame = RecordingBuilder.frame(width: 320, height: 160, steering: 0.2, seed: 7)

  @Test func roundTripKeepsSizeAndIsClose() throws {
    let bytes = try JPEGEncoder(quality: 95).encode(frame)
    let decoded = try JPEGDecoder().decode(bytes)
    #expect(decoded.width == 320 && decoded.height == 160)
    #expect(decoded.meanAbsoluteDifference(to: frame) < 3.5)
    // Lower quality: smaller file, larger error, both still sane.
    let small = try JPEGEncoder(quality: 40).encode(frame)
    #expect(small.count < bytes.count)
    let rough = try JPEGDecoder().decode(small)
    #expect(rough.meanAbsoluteDifference(to: frame) > decoded.meanAbsoluteDifference(to: frame))
  }

  @Test func decodeMatchesOpenCVAndPillow() throws {
    // frame.jpg was encoded by Pillow (q75, 4:2:0); OpenCV and Pillow decode it identically.
    let decoded = try JPEGDecoder().decode(contentsOf: Fixtures.path("frame.jpg"))
    let expected = try Fixtures.image("frame_decoded_opencv.png")
    #expect(decoded.width == 320 && decoded.height == 160)
    #expect(decoded.maximumDifference(to: expected) == 0)
    let box = try JPEGDecoder(fancyUpsampling: false).decode(contentsOf: Fixtures.path("frame.jpg"))
    #expect(box.maximumDifference(to: expected) > 0)
  }

  @Test func encodesBaselineWith420Subsampling() throws {
    let bytes = try JPEGEncoder(quality: 75).encode(frame)
    // SOF0 (baseline): FF C0, length, precision 8, height, width, 3 components (id, HV, table).
    let sof = try #require(markerOffset(0xC0, in: bytes))
    #expect(bytes[sof + 4] == 8)
    #expect(Int(bytes[sof + 5]) << 8 | Int(bytes[sof + 6]) == 160)
    #expect(Int(bytes[sof + 7]) << 8 | Int(bytes[sof + 8]) == 320)
    #expect(bytes[sof + 9] == 3)
    #expect(bytes[sof + 11] == 0x22)  // Y: 2x2
    #expect(bytes[sof + 14] == 0x11)  // Cb: 1x1
    #expect(bytes[sof + 17] == 0x11)  // Cr: 1x1
    #expect(markerOffset(0xC2, in: bytes) == nil)  // not progressive
    #expect(bytes.count > 4_000 && bytes.count < 40_000)
  }

  @Test func corruptAndTruncatedDataThrowAndDecoderRecovers() throws {
    let good = try JPEGEncoder().encode(frame)
    let decoder = JPEGDecoder()
    #expect(throws: DrivingDataError.self) { try decoder.decode([]) }
    #expect(throws: DrivingDataError.self) { try decoder.decode(Array("not a jpeg at all".utf8)) }
    #expect(throws: DrivingDataError.self) { try decoder.decode(Array(good.prefix(good.count / 2))) }
    #expect(throws: DrivingDataError.self) { try decoder.decode(Array(good.prefix(200))) }
    var scrambled = good
    for i in stride(from: 700, to: scrambled.count - 2, by: 97) { scrambled[i] = 0xFF }
    #expect(throws: DrivingDataError.self) { try decoder.decode(scrambled) }
    // A header claiming 65535 x 65535 is refused before any allocation.
    var huge = good
    let sof = try #require(markerOffset(0xC0, in: huge))
    huge.replaceSubrange(sof + 5..<sof + 9, with: [0xFF, 0xFF, 0xFF, 0xFF])
    #expect(throws: DrivingDataError.self) { try decoder.decode(huge) }
    // The same decoder still works after every failure.
    let decoded = try decoder.decode(good)
    #expect(decoded.width == 320)
    do {
      _ = try decoder.decode(Array(good.prefix(good.count - 300)))
      Issue.record("truncated JPEG decoded without error")
    } catch let error as DrivingDataError {
      guard case .corruptImage(_, let reason) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(!reason.isEmpty)
    }
  }

  @Test func decodeIntoReusesStorageAndMatchesFreshDecode() throws {
    let a = try JPEGEncoder().encode(frame)
    let other = RecordingBuilder.frame(width: 320, height: 160, steering: -0.3, seed: 9)
    let b = try JPEGEncoder().encode(other)
    let decoder = JPEGDecoder()
    var image = RGBImage(width: 1, height: 1)
    try a.withUnsafeBytes { try decoder.decode($0, into: &image) }
    try b.withUnsafeBytes { try decoder.decode($0, into: &image) }
    #expect(image == (try JPEGDecoder().decode(b)))
  }

  @Test func fancyUpsamplingChangesOnlyChromaDetail() throws {
    let bytes = try JPEGEncoder(quality: 90).encode(frame)
    let smooth = try JPEGDecoder(fancyUpsampling: true).decode(bytes)
    let box = try JPEGDecoder(fancyUpsampling: false).decode(bytes)
    #expect(smooth != box)
    #expect(smooth.meanAbsoluteDifference(to: box) < 2)
  }

  @Test func fileDecodeAndMissingFile() throws {
    let folder = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(folder) }
    let path = folder + "/frame.jpg"
    try JPEGEncoder().write(frame, to: path)
    let decoded = try RGBImage(contentsOfFile: path)
    #expect(decoded.width == 320 && decoded.height == 160)
    #expect(throws: DrivingDataError.self) { try JPEGDecoder().decode(contentsOf: folder + "/missing.jpg") }
    #expect(throws: DrivingDataError.self) { try JPEGDecoder().decode(contentsOf: folder) }
  }

  @Test func encoderRejectsBadQuality() {
    #expect(throws: DrivingDataError.self) { try JPEGEncoder(quality: 0).encode(frame) }
    #expect(throws: DrivingDataError.self) { try JPEGEncoder(quality: 101).encode(frame) }
  }

  private func markerOffset(_ marker: UInt8, in bytes: [UInt8]) -> Int? {
    // Walk the marker segments from SOI up to SOS.
    var i = 2
    while i + 3 < bytes.count, bytes[i] == 0xFF {
      if bytes[i + 1] == marker { return i }
      if bytes[i + 1] == 0xDA { return nil }
      i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
    }
    return nil
  }
}
