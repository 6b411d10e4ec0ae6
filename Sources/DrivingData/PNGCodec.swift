// PNG decode and encode over libpng (C side: CImageCodec, which owns every setjmp).
import CImageCodec

/// A reusable PNG codec. Decoding always yields 8-bit RGB: palette, grey and 16-bit images are
/// expanded or reduced and alpha is dropped. Encoding takes grey, RGB or RGBA. One thread at a time.
public final class PNGCodec {
  private let state: OpaquePointer?
  /// zlib level 0...9: 1 is fast for frequent debug pictures, 9 is smallest.
  public var compression: Int

  public init(compression: Int = 6) {
    state = cimg_png_codec_create()
    self.compression = compression
  }

  deinit { cimg_png_codec_destroy(state) }

  /// Decodes PNG bytes; `path` only labels errors.
  public func decode(_ bytes: [UInt8], path: String? = nil) throws -> RGBImage {
    guard let state else { throw DrivingDataError.corruptImage(path: path, reason: "out of memory") }
    var width: Int32 = 0
    var height: Int32 = 0
    var pixels: UnsafePointer<UInt8>?
    let status = bytes.withUnsafeBufferPointer { input in
      cimg_png_decode(state, input.baseAddress, input.count, &width, &height, &pixels)
    }
    guard status == 0, let pixels else {
      let message = String(cString: cimg_png_codec_message(state))
      throw DrivingDataError.corruptImage(path: path, reason: message.isEmpty ? "PNG decode failed" : message)
    }
    let count = Int(width) * Int(height) * 3
    return RGBImage(
      uncheckedWidth: Int(width), height: Int(height),
      pixels: [UInt8](UnsafeBufferPointer(start: pixels, count: count)))
  }

  /// Reads and decodes the PNG file at `path`.
  public func decode(contentsOf path: String) throws -> RGBImage {
    try decode(FileIO.read(path), path: path)
  }

  /// Encodes `image` as an RGB PNG.
  public func encode(_ image: RGBImage) throws -> [UInt8] {
    try encode(pixels: image.pixels, width: image.width, height: image.height, channels: 3)
  }

  /// Encodes raw 8-bit `pixels` `(height, width, channels)`, channels 1 (grey), 3 or 4 (RGBA).
  public func encode(pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
    guard let state else { throw DrivingDataError.invalidArgument("PNG codec: out of memory") }
    guard width > 0, height > 0, [1, 3, 4].contains(channels), pixels.count == width * height * channels
    else {
      throw DrivingDataError.invalidArgument(
        "PNG encode: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
    }
    var output: UnsafePointer<UInt8>?
    var length = 0
    let status = pixels.withUnsafeBufferPointer { input in
      cimg_png_encode(
        state, input.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(compression),
        &output, &length)
    }
    guard status == 0, let output else {
      throw DrivingDataError.invalidArgument(
        "PNG encode failed: \(String(cString: cimg_png_codec_message(state)))")
    }
    return [UInt8](UnsafeBufferPointer(start: output, count: length))
  }

  /// Encodes `image` and writes it to `path` atomically.
  public func write(_ image: RGBImage, to path: String) throws {
    try FileIO.writeAtomically(encode(image), to: path)
  }
}

extension RGBImage {
  /// Decodes PNG bytes to RGB.
  public init(png bytes: [UInt8]) throws {
    self = try PNGCodec().decode(bytes)
  }

  /// PNG bytes of this image.
  public func pngData() throws -> [UInt8] {
    try PNGCodec().encode(self)
  }
}
