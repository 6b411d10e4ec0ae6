import ArgumentParser
import DrivingData

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `Bench decode`: one thread decodes 320x160 simulator JPEGs and resizes them to 128x128 with
/// OpenCV-compatible bilinear interpolation, the preparation step's hot path.
struct DecodeBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode", abstract: "JPEG decode + bilinear resize 320x160 -> 128x128, one thread.")

  @Option(help: "Seconds to run.") var seconds: Double = 10
  @Option(help: "Folder of .jpg frames (e.g. a recording's IMG); default: the committed test frame.")
  var images: String?
  @Flag(help: "Box chroma upsampling (faster, not identical to OpenCV's decode).") var fastUpsampling = false

  func run() throws {
    let files = try jpegFiles()
    let frames = try files.map { try readAll($0) }
    let decoder = JPEGDecoder(fancyUpsampling: !fastUpsampling)
    var resizer = try BilinearResizer(sourceWidth: 320, sourceHeight: 160, width: 128, height: 128)
    var decoded = RGBImage(width: 320, height: 160)
    var small = RGBImage(width: 128, height: 128)
    var checksum = 0
    var count = 0
    let start = now()
    var elapsed = 0.0
    while elapsed < seconds {
      for _ in 0..<64 {
        try frames[count % frames.count].withUnsafeBytes { try decoder.decode($0, into: &decoded) }
        try resizer.resize(decoded, into: &small)
        checksum &+= Int(small.pixels[count % small.pixels.count])
        count += 1
      }
      elapsed = now() - start
    }
    print(
      "frames: \(frames.count) distinct, \(count) decoded in \(String(format: elapsed)) s (checksum \(checksum))"
    )
    print("decode img/s: \(Int((Double(count) / elapsed).rounded()))")
  }

  private func jpegFiles() throws -> [String] {
    guard let images else {
      // <root>/Examples/Bench/DecodeBench.swift -> <root>
      let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
      return [root + "/Tests/DrivingDataTests/Fixtures/frame.jpg"]
    }
    guard let dir = opendir(images) else { throw ValidationError("cannot open \(images)") }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir), names.count < 256 {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.lowercased().hasSuffix(".jpg") { names.append(images + "/" + name) }
    }
    guard !names.isEmpty else { throw ValidationError("no .jpg files in \(images)") }
    return names.sorted()
  }

  private func readAll(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let got = fread(&chunk, 1, chunk.count, file)
      if got == 0 { break }
      bytes += chunk[0..<got]
    }
    return bytes
  }

  private func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }
}

extension String {
  fileprivate init(format seconds: Double) { self = String(Double(Int(seconds * 100)) / 100) }
}
