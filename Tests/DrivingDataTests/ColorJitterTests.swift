import Foundation
import TensorCore
import TestSupport
import Testing

@testable import DrivingData

@Suite("Colour jitter")
struct ColorJitterTests {
  static let luminance: [Float] = [0.213, 0.715, 0.072]

  func close(_ a: ColorMatrix, _ b: ColorMatrix, _ tolerance: Float) -> Bool {
    zip(a.rows, b.rows).allSatisfy { abs($0 - $1) <= tolerance }
  }

  @Test func hueRotationsComposeAndKeepGreyAndLuminance() {
    // The specification's constants are rounded to 3 digits: rotations compose to within 2e-3.
    #expect(close(.hueRotate(degrees: 0), .identity, 1e-6))
    #expect(close(.hueRotate(degrees: 360), .identity, 1e-5))
    #expect(close(.hueRotate(degrees: 70) * .hueRotate(degrees: -70), .identity, 2e-3))
    #expect(close(.hueRotate(degrees: 30) * .hueRotate(degrees: 95), .hueRotate(degrees: 125), 2e-3))
    #expect(!close(.hueRotate(degrees: 30), .identity, 0.1))
    for degrees: Float in [-170, -45, 10, 90, 180] {
      let m = ColorMatrix.hueRotate(degrees: degrees).rows
      for row in 0..<3 {  // grey in, the same grey out: every row sums to 1
        #expect(abs(m[row * 3] + m[row * 3 + 1] + m[row * 3 + 2] - 1) < 1e-5)
      }
      for column in 0..<3 {  // luminance of the output = luminance of the input
        let weighted = (0..<3).map { Self.luminance[$0] * m[$0 * 3 + column] }.reduce(0, +)
        #expect(abs(weighted - Self.luminance[column]) < 2e-3)
      }
    }
  }

  @Test func saturationZeroIsLuminanceGreyAndOneIsIdentity() {
    #expect(close(.saturate(1), .identity, 1e-6))
    let grey = ColorMatrix.saturate(0).rows
    for row in 0..<3 {
      for column in 0..<3 { #expect(abs(grey[row * 3 + column] - Self.luminance[column]) < 1e-6) }
    }
  }

  @Test func transformKeepsGreysAndMovesColours() throws {
    // Pixels: a grey, lake's grass green, canyon's edge-line yellow.
    let source = try RGBImage(width: 3, height: 1, pixels: [120, 120, 120, 60, 110, 40, 200, 170, 30])
    var rotated = source
    rotated.transformColors(.hueRotate(degrees: 120))
    #expect(Array(rotated.pixels[0..<3]) == [120, 120, 120])
    #expect(rotated.pixels != source.pixels)
    // Rotating back returns each in-gamut pixel to within rounding.
    var back = rotated
    back.transformColors(.hueRotate(degrees: -120))
    for i in 0..<6 { #expect(abs(Int(back.pixels[i]) - Int(source.pixels[i])) <= 2) }
    var grey = source
    grey.transformColors(.saturate(0))
    for pixel in 0..<3 {
      let (r, g, b) = (
        Float(source.pixels[pixel * 3]), Float(source.pixels[pixel * 3 + 1]),
        Float(source.pixels[pixel * 3 + 2])
      )
      let y = UInt8((0.213 * r + 0.715 * g + 0.072 * b).rounded())
      for channel in 0..<3 { #expect(abs(Int(grey.pixels[pixel * 3 + channel]) - Int(y)) <= 1) }
    }
    // Out of gamut saturates instead of wrapping.
    var vivid = source
    vivid.transformColors(.saturate(3))
    #expect(vivid.pixels[8] == 0 && vivid.pixels[6] == 255)
  }

  @Test func jitterIsDrawnWithinItsRangeWithoutChangingTheOtherDraws() {
    var plain = AugmentationOptions()
    plain.maxShift = 8
    var jittered = plain
    jittered.colorJitter = ColorJitterOptions(hueDegrees: 90, saturationMin: 0.5, saturationMax: 1.5)
    var hues = Set<Int>()
    for key in 0..<300 as Range<UInt64> {
      var a = SplitMix64(seed: 3, key)
      var b = SplitMix64(seed: 3, key)
      let x = Augmentation(options: plain, random: &a)
      let y = Augmentation(options: jittered, random: &b)
      #expect(x.hueDegrees == 0 && x.saturation == 1)
      #expect(x.brightness == y.brightness && x.shift == y.shift && x.shadowTop == y.shadowTop)
      #expect(abs(y.hueDegrees) <= 90 && (0.5...1.5).contains(y.saturation))
      hues.insert(min(Int((y.hueDegrees + 90) / 30), 5))  // 6 buckets of 30 degrees: the whole range is used
    }
    #expect(hues == Set(0...5))
  }

  @Test func optionsWithoutJitterEncodeAsBefore() throws {
    // The fingerprint hashes this JSON: stores prepared before the jitter existed stay current.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let plain = String(decoding: try encoder.encode(AugmentationOptions()), as: UTF8.self)
    #expect(!plain.contains("colorJitter"))
    var options = AugmentationOptions()
    options.colorJitter = ColorJitterOptions(hueDegrees: 45)
    #expect(String(decoding: try encoder.encode(options), as: UTF8.self).contains("\"hueDegrees\":45"))
  }

  @Test func augmentationAppliesTheJitterBeforeBrightness() {
    let image = RecordingBuilder.frame(width: 32, height: 16, steering: 0.1, seed: 2)
    var augmentation = Augmentation()
    augmentation.hueDegrees = 60
    augmentation.saturation = 0.7
    augmentation.brightness = 0.8
    var out = image
    augmentation.apply(to: &out)
    var expected = image
    expected.transformColors(.saturate(0.7) * .hueRotate(degrees: 60))
    expected = expected.adjustingBrightness(0.8)
    #expect(out.pixels == expected.pixels)
  }
}

@Suite("TrainNvidia colour jitter flags")
struct ColorJitterFlagTests {
  @Test func outOfRangeOrUselessJitterIsRefusedBeforeAnyWork() throws {
    let cases: [([String], String)] = [
      (["--augment", "1", "--hue-jitter", "200"], "--hue-jitter: degrees in 0...180"),
      (["--augment", "1", "--saturation-jitter", "1.5"], "--saturation-jitter: a fraction in 0...1"),
      (["--hue-jitter", "90"], "act on augmented copies"),
    ]
    for (flags, message) in cases {
      let result = try BuiltExecutable.run("TrainNvidiaCommand", ["--data", "/nonexistent"] + flags)
      #expect(result.status != 0 && result.stderr.contains(message), "\(flags): \(result.output)")
    }
  }

  /// The report shows a jittered sample beside the other augmentations, and the store holds
  /// augmented copies in other colours than the plain ones (greys aside).
  @Test func prepareOnlyWithJitterShowsItInTheReport() throws {
    let built = try RecordingBuilder(rows: 6).build()
    defer { RecordingBuilder.remove(built.directory) }
    let dir = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(dir) }
    let result = try BuiltExecutable.run(
      "TrainNvidiaCommand",
      [
        "--data", built.directory, "--store", dir + "/samples.h5", "--prepare-only", "--no-isolation",
        "--augment", "1", "--hue-jitter", "120", "--saturation-jitter", "0.5", "--report-dir",
        dir + "/report",
      ])
    try #require(result.status == 0, "\(result.output.suffix(2000))")
    let items = try JSONDecoder().decode(
      [[String: String]].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/report/samples.json")))
    let jittered = items.filter { ($0["caption"] ?? "").contains("hue +60 deg, saturation x0.50") }
    #expect(jittered.count == 3, "\(items)")  // one per camera
    let plain = try PNGCodec().decode(contentsOf: dir + "/report/samples/center-0.png")
    let colored = try PNGCodec().decode(contentsOf: dir + "/report/" + (jittered.first?["file"] ?? ""))
    #expect(plain.width == colored.width && plain.pixels != colored.pixels)
  }
}
