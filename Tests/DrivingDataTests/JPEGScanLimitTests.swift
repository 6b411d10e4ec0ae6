import Testing

@testable import DrivingData

// A progressive JPEG of many tiny scans makes libjpeg pass over the whole coefficient buffer once
// per scan: a few KB could cost minutes. The decoder stops past 100 scans (cimage_codec.c).
@Suite("JPEG scan limit")
struct JPEGScanLimitTests {
  /// A valid 8x8 grey progressive JPEG of a flat image: a DC first scan and refinement, then for
  /// each of the first `coefficients` AC coefficients a first scan (Al 1) and a refinement scan:
  /// 2 + 2 x coefficients scans. One-symbol Huffman tables code each scan's only symbol (DC
  /// difference 0, EOB, refinement bit 0) as a single 0 bit, padded with ones.
  static func progressive(coefficients: Int) -> [UInt8] {
    var bytes: [UInt8] = [0xFF, 0xD8]
    bytes += [0xFF, 0xDB, 0x00, 67, 0x00] + [UInt8](repeating: 1, count: 64)  // DQT 0: all 1
    bytes += [0xFF, 0xC2, 0x00, 11, 8, 0x00, 8, 0x00, 8, 1, 1, 0x11, 0]  // SOF2: 8x8, 1 component
    let oneSymbol: [UInt8] = [1] + [UInt8](repeating: 0, count: 15) + [0x00]
    bytes += [0xFF, 0xC4, 0x00, 38, 0x00] + oneSymbol + [0x10] + oneSymbol  // DHT: DC 0, AC 0
    func scan(_ start: UInt8, _ end: UInt8, high: UInt8, low: UInt8) {
      bytes += [0xFF, 0xDA, 0x00, 8, 1, 1, 0x00, start, end, high << 4 | low, 0x7F]
    }
    scan(0, 0, high: 0, low: 1)
    scan(0, 0, high: 1, low: 0)
    for k in 1...UInt8(coefficients) {
      scan(k, k, high: 0, low: 1)
      scan(k, k, high: 1, low: 0)
    }
    return bytes + [0xFF, 0xD9]
  }

  @Test func aJPEGOfUpToAHundredScansDecodes() throws {
    let image = try JPEGDecoder().decode(Self.progressive(coefficients: 49))  // 100 scans
    #expect(image.width == 8 && image.height == 8)
  }

  @Test func aJPEGOfMoreScansIsRefused() throws {
    let decoder = JPEGDecoder()
    let error = #expect(throws: DrivingDataError.self) {
      try decoder.decode(Self.progressive(coefficients: 63))  // 128 scans
    }
    #expect("\(error.map { $0 } as Any)".contains("more than 100 progressive scans"))
    // The decoder is reusable after the refusal.
    #expect(try decoder.decode(Self.progressive(coefficients: 10)).width == 8)
  }
}
