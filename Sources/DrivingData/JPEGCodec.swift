// JPEG decode and encode over libjpeg-turbo (C side: CImageCodec, which owns every setjmp).
import CImageCodec

/// A reusable JPEG decoder: RGB output, libjpeg's accurate integer IDCT, full resolution (no DCT
/// scaling, so results match OpenCV's and Pillow's decoders). One thread at a time; make one per worker.
public final class JPEGDecoder {
  private let state: OpaquePointer?
  private var fileBuffer: [UInt8] = []
  /// Smooth (triangle-filter) chroma upsampling, as OpenCV, Pillow and libjpeg's defaults use.
  /// Off is libjpeg's faster box ("merged") upsampling; chroma edges then differ by a few levels.
  public var fancyUpsampling: Bool
  /// Largest decoded image accepted, in bytes (width x height x 3). Servers decoding frames from
  /// the network set it near the frame size they expect, so one message cannot claim 256 MB.
  public var sizeLimit: Int

  public init(fancyUpsampling: Bool = true, sizeLimit: Int = JPEGDecoder.maximumBytes) {
    state = cimg_jpeg_decoder_create()
    self.fancyUpsampling = fancyUpsampling
    self.sizeLimit = min(sizeLimit, JPEGDecoder.maximumBytes)
  }

  deinit { cimg_jpeg_decoder_destroy(state) }

  /// Largest decoded image any decoder accepts (256 MB, e.g. 9000 x 9000 RGB).
  public static let maximumBytes = 1 << 28

  /// Decodes JPEG bytes held in memory.
  public func decode(_ bytes: [UInt8]) throws -> RGBImage {
    var image = RGBImage(uncheckedWidth: 0, height: 0, pixels: [])
    try bytes.withUnsafeBytes { try decode($0, into: &image, path: nil) }
    return image
  }

  /// Reads and decodes the JPEG file at `path`.
  public func decode(contentsOf path: String) throws -> RGBImage {
    var image = RGBImage(uncheckedWidth: 0, height: 0, pixels: [])
    try decode(contentsOf: path, into: &image)
    return image
  }

  /// Reads and decodes `path` into `image`, reusing its pixel storage when the size matches.
  public func decode(contentsOf path: String, into image: inout RGBImage) throws {
    try FileIO.read(path, into: &fileBuffer)
    try fileBuffer.withUnsafeBytes { try decode($0, into: &image, path: path) }
  }

  /// Decodes `bytes` into `image`, reusing its pixel storage when the size matches.
  /// `path` only labels errors.
  public func decode(_ bytes: UnsafeRawBufferPointer, into image: inout RGBImage, path: String? = nil)
    throws
  {
    try decode(bytes, into: &image, path: path, rows: nil)
  }

  /// Decodes only the rows `rows(width, height)` names (clamped to the image; nil: all) into
  /// `image`, which keeps whatever it held in the others: for a reader that needs a band of the
  /// frame (`SteeringPredictor.frameRows`). Rows below the band are not decoded at all and rows
  /// above it only entropy-decoded; the rows written are the bytes a full decode writes there.
  public func decode(
    _ bytes: UnsafeRawBufferPointer, into image: inout RGBImage, path: String? = nil,
    rows: ((_ width: Int, _ height: Int) -> Range<Int>?)?
  ) throws {
    guard let state else { throw DrivingDataError.corruptImage(path: path, reason: "out of memory") }
    guard let base = bytes.baseAddress, bytes.count > 0 else {
      throw DrivingDataError.corruptImage(path: path, reason: "empty JPEG data")
    }
    var width: Int32 = 0
    var height: Int32 = 0
    let start = cimg_jpeg_decoder_start(
      state, base.assumingMemoryBound(to: UInt8.self), bytes.count, &width, &height)
    guard start == 0 else { throw failure(path) }
    let count = Int(width) * Int(height) * 3
    // A corrupt header can claim any size up to 65535 x 65535: refuse before allocating.
    guard count <= sizeLimit else {
      throw DrivingDataError.corruptImage(
        path: path, reason: "image of \(width)x\(height) is larger than allowed")
    }
    if image.pixels.count != count {
      image.pixels = [UInt8](repeating: 0, count: count)
    }
    image = RGBImage(uncheckedWidth: Int(width), height: Int(height), pixels: image.pixels)
    let band = rows?(Int(width), Int(height)) ?? 0..<Int(height)
    let status = image.pixels.withUnsafeMutableBufferPointer { out in
      cimg_jpeg_decoder_finish_rows(
        state, out.baseAddress, out.count, fancyUpsampling ? 1 : 0, Int32(clamping: band.lowerBound),
        Int32(clamping: band.upperBound))
    }
    guard status == 0 else { throw failure(path) }
  }

  private func failure(_ path: String?) -> DrivingDataError {
    let message = state.map { String(cString: cimg_jpeg_decoder_message($0)) } ?? ""
    return .corruptImage(path: path, reason: message.isEmpty ? "JPEG decode failed" : message)
  }
}

/// A reusable JPEG encoder: baseline, YCbCr 4:2:0, like the Unity simulator's frames.
/// Its output buffer is kept between images. One thread at a time.
public final class JPEGEncoder {
  private let state: OpaquePointer?
  /// 1...100; Unity's `EncodeToJPG` default is 75.
  public var quality: Int

  public init(quality: Int = 75) {
    state = cimg_jpeg_encoder_create()
    self.quality = quality
  }

  deinit { cimg_jpeg_encoder_destroy(state) }

  /// Encodes `image` and returns the JPEG bytes.
  public func encode(_ image: RGBImage) throws -> [UInt8] {
    try withEncoded(image) { [UInt8]($0) }
  }

  /// Encodes `image` and writes it to `path` (atomically: never a half-written file).
  public func write(_ image: RGBImage, to path: String) throws {
    try withEncoded(image) { try FileIO.writeAtomically($0, to: path) }
  }

  /// Encodes `image` and lends the encoder's own output buffer to `body` (no copy).
  public func withEncoded<R>(_ image: RGBImage, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard let state else { throw DrivingDataError.invalidArgument("JPEG encoder: out of memory") }
    guard (1...100).contains(quality) else {
      throw DrivingDataError.invalidArgument("JPEG quality \(quality) is not in 1...100")
    }
    var output: UnsafePointer<UInt8>?
    var length = 0
    let status = image.pixels.withUnsafeBufferPointer { pixels in
      cimg_jpeg_encoder_encode(
        state, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &output,
        &length)
    }
    guard status == 0, let output else {
      let message = String(cString: cimg_jpeg_encoder_message(state))
      throw DrivingDataError.invalidArgument("JPEG encode failed: \(message)")
    }
    return try body(UnsafeRawBufferPointer(start: output, count: length))
  }
}

extension RGBImage {
  /// Decodes JPEG bytes (a fresh decoder; reuse a `JPEGDecoder` in loops).
  public init(jpeg bytes: [UInt8]) throws {
    self = try JPEGDecoder().decode(bytes)
  }

  /// JPEG bytes at `quality` with 4:2:0 subsampling.
  public func jpegData(quality: Int = 75) throws -> [UInt8] {
    try JPEGEncoder(quality: quality).encode(self)
  }

  /// Reads a JPEG or PNG file, chosen by its signature bytes.
  public init(contentsOfFile path: String) throws {
    let bytes = try FileIO.read(path)
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
      self = try PNGCodec().decode(bytes, path: path)
    } else {
      var image = RGBImage(uncheckedWidth: 0, height: 0, pixels: [])
      try bytes.withUnsafeBytes { try JPEGDecoder().decode($0, into: &image, path: path) }
      self = image
    }
  }
}
