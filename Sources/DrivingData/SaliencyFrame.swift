// A saliency mask over the camera frame, and the way back to it from a mask over the model input:
// `FramePreparer` crops rows and resizes, so the mask is resized back (bilinear) to the cropped
// frame and the cropped rows get 0 (the network never saw them). Colour conversion moves no pixel.

/// An 8-bit grey saliency image over a camera frame: 255 = most salient, normalised per frame
/// (its largest value is 255 and its smallest 0, unless the mask is constant: all 0).
public struct SaliencyFrame: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// (height, width) row-major grey levels.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) throws(DrivingDataError) {
    guard width > 0, height > 0, pixels.count == width * height else {
      throw .invalidArgument("saliency frame: \(pixels.count) bytes for \(width)x\(height)")
    }
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Quantises a float mask (any range) by min-max to 0...255, rounding to nearest.
  // mask: (height, width) -> grey (height, width)
  public init(mask: [Float], width: Int, height: Int) throws(DrivingDataError) {
    guard width > 0, height > 0, mask.count == width * height else {
      throw .invalidArgument("saliency mask: \(mask.count) values for \(width)x\(height)")
    }
    var lo = Float.infinity
    var hi = -Float.infinity
    for v in mask where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    let scale: Float = hi > lo ? 255 / (hi - lo) : 0
    let grey = mask.map { v -> UInt8 in
      guard v.isFinite else { return 0 }
      return UInt8(min(max(((v - lo) * scale).rounded(), 0), 255))
    }
    try self.init(width: width, height: height, pixels: grey)
  }

  /// An 8-bit greyscale PNG (what Drive sends base64-encoded in the `saliency` field).
  public func pngData(codec: PNGCodec = PNGCodec()) throws -> [UInt8] {
    try codec.encode(pixels: pixels, width: width, height: height, channels: 1)
  }

  /// The camera frame with the mask as a heat map: each pixel blends toward the heat colour of its
  /// saliency (black -> red -> yellow -> white) by `opacity` times its saliency, so unsalient
  /// pixels show the camera as it was.
  public func overlay(on frame: RGBImage, opacity: Float = 0.7) throws(DrivingDataError) -> RGBImage {
    guard frame.width == width, frame.height == height else {
      throw .invalidArgument(
        "saliency \(width)x\(height) does not fit a \(frame.width)x\(frame.height) frame")
    }
    var out = frame
    out.pixels.withUnsafeMutableBufferPointer { dst in
      for i in 0..<(width * height) {
        let s = Float(pixels[i]) / 255
        let heat = Self.heat(s)
        let a = opacity * s
        for k in 0..<3 {
          let v = Float(dst[i * 3 + k]) * (1 - a) + heat[k] * a
          dst[i * 3 + k] = UInt8(min(max(v.rounded(), 0), 255))
        }
      }
    }
    return out
  }

  /// "Hot" colour map: 0 black, 1/3 red, 2/3 yellow, 1 white.
  static func heat(_ s: Float) -> [Float] {
    let t = min(max(s, 0), 1) * 3
    return [min(t, 1) * 255, min(max(t - 1, 0), 1) * 255, min(max(t - 2, 0), 1) * 255]
  }
}

extension InputPipeline {
  /// Maps a mask over the model input back onto a `frameWidth` x `frameHeight` camera frame: the
  /// inverse geometry of `FramePreparer`. Bilinear resize (half-pixel centres, edge clamping, as
  /// OpenCV's INTER_LINEAR, in Float) from the model input size to the cropped frame, then 0 in the
  /// rows the pipeline crops.
  // mask: (modelInputShape[0], modelInputShape[1]) -> (frameHeight, frameWidth)
  public func frameMask(_ mask: [Float], frameWidth: Int, frameHeight: Int) throws(DrivingDataError)
    -> [Float]
  {
    try check(frameWidth: frameWidth, height: frameHeight)
    let (mh, mw) = (modelInputShape[0], modelInputShape[1])
    guard mask.count == mh * mw else {
      throw .invalidArgument("saliency mask: \(mask.count) values, the model input is \(mw)x\(mh)")
    }
    let rows = frameHeight - cropTop - cropBottom
    let resized = Self.bilinear(mask, width: mw, height: mh, toWidth: frameWidth, height: rows)
    var out = [Float](repeating: 0, count: frameWidth * frameHeight)
    out.withUnsafeMutableBufferPointer { dst in
      resized.withUnsafeBufferPointer { src in
        (dst.baseAddress! + cropTop * frameWidth).update(from: src.baseAddress!, count: rows * frameWidth)
      }
    }
    return out
  }

  /// Float bilinear resize: out(y, x) samples the source at ((y + 0.5) * h / H - 0.5, ...), clamped.
  // src: (h, w) -> (H, W)
  static func bilinear(_ src: [Float], width w: Int, height h: Int, toWidth ow: Int, height oh: Int)
    -> [Float]
  {
    if (w, h) == (ow, oh) { return src }
    func taps(_ n: Int, _ on: Int) -> [(Int, Int, Float)] {
      (0..<on).map { i in
        let s = min(max((Float(i) + 0.5) * Float(n) / Float(on) - 0.5, 0), Float(n - 1))
        let i0 = Int(s)
        return (i0, min(i0 + 1, n - 1), s - Float(i0))
      }
    }
    let xs = taps(w, ow)
    let ys = taps(h, oh)
    var out = [Float](repeating: 0, count: ow * oh)
    out.withUnsafeMutableBufferPointer { dst in
      src.withUnsafeBufferPointer { s in
        for (y, (y0, y1, fy)) in ys.enumerated() {
          for (x, (x0, x1, fx)) in xs.enumerated() {
            let top = s[y0 * w + x0] * (1 - fx) + s[y0 * w + x1] * fx
            let bottom = s[y1 * w + x0] * (1 - fx) + s[y1 * w + x1] * fx
            dst[y * ow + x] = top * (1 - fy) + bottom * fy
          }
        }
      }
    }
    return out
  }
}
