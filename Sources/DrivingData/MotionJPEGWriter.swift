import Foundation

/// Writes a Motion-JPEG AVI (RIFF `AVI `, one `MJPG` video stream, an `idx1` index) from JPEG
/// files, copying each frame's bytes unchanged: no encoder is needed. `Video` uses it when ffmpeg
/// is not installed; ffmpeg, VLC and browsers' players read it.
public enum MotionJPEGWriter {
  /// - Parameters:
  ///   - frames: JPEG files in display order; all must share `width` x `height`.
  ///   - fps: frames per second (1...1000).
  public static func write(frames: [String], width: Int, height: Int, fps: Int, to output: String) throws {
    guard !frames.isEmpty else { throw DrivingDataError.unwritableFile(path: output, reason: "no frames") }
    guard (1...1000).contains(fps), width > 0, height > 0 else {
      throw DrivingDataError.invalidArgument("fps \(fps), size \(width)x\(height)")
    }
    var sizes: [Int] = []
    for path in frames {
      let attributes = try? FileManager.default.attributesOfItem(atPath: path)
      guard let size = (attributes?[.size] as? NSNumber)?.intValue, size > 0 else {
        throw DrivingDataError.unreadableFile(path: path, reason: "cannot read frame")
      }
      sizes.append(size)
    }
    let padded = sizes.map { $0 + ($0 & 1) }
    let moviSize = 4 + padded.reduce(0) { $0 + 8 + $1 }
    let indexSize = 16 * frames.count
    let hdrlSize = 4 + (8 + 56) + (8 + 4 + (8 + 56) + (8 + 40))
    let riffSize = 4 + (8 + hdrlSize) + (8 + moviSize) + (8 + indexSize)
    guard riffSize < Int(UInt32.max) else {
      throw DrivingDataError.unwritableFile(path: output, reason: "over 4 GB; use ffmpeg")
    }
    let largest = sizes.max() ?? 0

    var header = Data()
    header.fourCC("RIFF")
    header.u32(riffSize)
    header.fourCC("AVI ")
    header.fourCC("LIST")
    header.u32(hdrlSize)
    header.fourCC("hdrl")
    header.fourCC("avih")
    header.u32(56)
    header.u32(1_000_000 / fps)
    header.u32(largest * fps)
    header.u32(0)
    header.u32(0x10)  // AVIF_HASINDEX
    header.u32(frames.count)
    header.u32(0)
    header.u32(1)
    header.u32(largest)
    header.u32(width)
    header.u32(height)
    for _ in 0..<4 { header.u32(0) }
    header.fourCC("LIST")
    header.u32(4 + (8 + 56) + (8 + 40))
    header.fourCC("strl")
    header.fourCC("strh")
    header.u32(56)
    header.fourCC("vids")
    header.fourCC("MJPG")
    header.u32(0)
    header.u16(0)
    header.u16(0)
    header.u32(0)
    header.u32(1)
    header.u32(fps)
    header.u32(0)
    header.u32(frames.count)
    header.u32(largest)
    header.u32(0xFFFF_FFFF)
    header.u32(0)
    header.u16(0)
    header.u16(0)
    header.u16(width)
    header.u16(height)
    header.fourCC("strf")
    header.u32(40)  // BITMAPINFOHEADER
    header.u32(40)
    header.u32(width)
    header.u32(height)
    header.u16(1)
    header.u16(24)
    header.fourCC("MJPG")
    header.u32(width * height * 3)
    for _ in 0..<4 { header.u32(0) }
    header.fourCC("LIST")
    header.u32(moviSize)
    header.fourCC("movi")

    guard FileManager.default.createFile(atPath: output, contents: header),
      let handle = FileHandle(forWritingAtPath: output)
    else { throw DrivingDataError.unwritableFile(path: output, reason: "cannot create") }
    defer { try? handle.close() }
    handle.seekToEndOfFile()
    var index = Data()
    var offset = 4  // from the `movi` fourcc
    for (i, path) in frames.enumerated() {
      guard let jpeg = FileManager.default.contents(atPath: path), jpeg.count == sizes[i] else {
        throw DrivingDataError.unreadableFile(path: path, reason: "frame changed while writing")
      }
      var chunk = Data()
      chunk.fourCC("00dc")
      chunk.u32(jpeg.count)
      chunk.append(jpeg)
      if jpeg.count & 1 == 1 { chunk.append(0) }
      handle.write(chunk)
      index.fourCC("00dc")
      index.u32(0x10)
      index.u32(offset)
      index.u32(jpeg.count)  // AVIIF_KEYFRAME
      offset += chunk.count
    }
    var tail = Data()
    tail.fourCC("idx1")
    tail.u32(indexSize)
    tail.append(index)
    handle.write(tail)
  }
}

extension Data {
  fileprivate mutating func u32(_ v: Int) { u32(UInt32(truncatingIfNeeded: v)) }
  fileprivate mutating func u32(_ v: UInt32) {
    Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
  }
  fileprivate mutating func u16(_ v: Int) {
    Swift.withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { append(contentsOf: $0) }
  }
  fileprivate mutating func fourCC(_ s: String) { append(contentsOf: Array(s.utf8.prefix(4))) }
}
