import Foundation
import Testing

@testable import DrivingData

/// Inputs the fuzz targets (Fuzz/, docs/fuzzing.md) found or were built to find: each must be
/// refused with a thrown error or a nil, without trapping or allocating gigabytes.
@Suite struct FuzzRegressionTests {
  /// A PNG chunk: length, type, data, CRC (over type and data).
  static func chunk(_ type: String, _ data: [UInt8], claimedLength: UInt32? = nil) -> [UInt8] {
    let body = Array(type.utf8) + data
    let length = claimedLength ?? UInt32(data.count)
    return withUnsafeBytes(of: length.bigEndian, Array.init) + body
      + withUnsafeBytes(of: crc32(body).bigEndian, Array.init)
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      crc ^= UInt32(b)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// A valid PNG with `extra` chunks inserted after IHDR.
  static func png(inserting extra: [UInt8]) throws -> [UInt8] {
    let valid = try FileIO.read(Fixtures.path("png_grey.png"))
    let ihdrEnd = 8 + 8 + 13 + 4
    return Array(valid[..<ihdrEnd]) + extra + Array(valid[ihdrEnd...])
  }

  /// Found by FuzzPNG: an iTXt chunk claiming 1.3 GB made libpng allocate it before reading.
  @Test func pngHugeTextChunkIsRefusedWithoutAllocating() throws {
    let bytes = try Self.png(
      inserting: Self.chunk("iTXt", Array("k\0\0\0\0".utf8), claimedLength: 0x5000_0000))
    #expect(throws: DrivingDataError.self) { try PNGCodec().decode(bytes) }
  }

  /// Text, ICC and other ancillary chunks are skipped, so images carrying them still decode.
  @Test func pngAncillaryChunksAreSkipped() throws {
    let text = Self.chunk("tEXt", Array("Comment\0hello".utf8))
    let icc = Self.chunk("iCCP", Array("p\0\0".utf8) + [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
    let plain = try PNGCodec().decode(FileIO.read(Fixtures.path("png_grey.png")))
    let decoded = try PNGCodec().decode(Self.png(inserting: text + icc))
    #expect(decoded == plain)
  }

  /// A PNG header may claim 16384 x 16384 (805 MB decoded): over the 256 MB bound it is refused.
  @Test func pngLargerThanBoundIsRefused() throws {
    var bytes = try FileIO.read(Fixtures.path("png_grey.png"))
    // IHDR data starts at 16: width, height (big-endian).
    let ihdr = Array(bytes[12..<29])
    var patched = ihdr
    patched.replaceSubrange(4..<12, with: [0, 0, 0x40, 0, 0, 0, 0x40, 0])
    bytes.replaceSubrange(8..<33, with: Self.chunk("IHDR", Array(patched[4...])))
    #expect(throws: DrivingDataError.self) { try PNGCodec().decode(bytes) }
    _ = ihdr
  }

  /// A JPEG whose frame header claims `width` x `height` (the SOF0 marker patched).
  static func jpeg(claiming width: UInt16, _ height: UInt16) throws -> [UInt8] {
    var bytes = try FileIO.read(Fixtures.path("frame.jpg"))
    guard let sof = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
    else {
      throw DrivingDataError.invalidArgument("fixture has no SOF0")
    }
    bytes.replaceSubrange(
      (sof + 5)..<(sof + 9),
      with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
    return bytes
  }

  /// `sizeLimit` is checked before the pixel buffer is allocated.
  @Test func jpegOverSizeLimitIsRefused() throws {
    let frame = try FileIO.read(Fixtures.path("frame.jpg"))
    let decoded = try JPEGDecoder().decode(frame)
    let limited = JPEGDecoder(sizeLimit: decoded.pixels.count - 1)
    #expect(throws: DrivingDataError.self) { try limited.decode(frame) }
    #expect(throws: DrivingDataError.self) { try JPEGDecoder().decode(Self.jpeg(claiming: 65000, 65000)) }
    // The decoder stays usable after refusing.
    #expect(try JPEGDecoder(sizeLimit: decoded.pixels.count).decode(frame) == decoded)
  }

  /// Found by FuzzDrivingLog: an image name with a year near Int.max overflowed the day arithmetic.
  @Test func timestampFieldsOutOfRangeGiveNil() throws {
    let names = [
      "center_9223372036854775807_12_01_13_30_48_287.jpg",
      "center_2016_12_01_99999999999999999_30_48_287.jpg",
      "center_-9223372036854775808_01_01_00_00_00_000.jpg",
      "center_2016_12_01_13_30_48_9223372036854775807.jpg",
    ]
    let csv = names.map { "\($0),\($0),\($0),0,0,0,1" }.joined(separator: "\n")
    var summary = RecordingSummary()
    let recording = try RecordingReader.parse(
      Array(csv.utf8), csvPath: "/fuzz/driving_log.csv", checkImages: false, summary: &summary)
    #expect(recording.rows.count == names.count)
    for row in recording.rows { #expect(row.timestamp == nil, "\(row.center)") }
    let good = DrivingLogRow(
      center: "IMG/center_2016_12_01_13_30_48_287.jpg", left: "", right: "", steering: 0, throttle: 0,
      brake: 0, speed: 0)
    #expect(good.timestamp != nil)
  }
}
