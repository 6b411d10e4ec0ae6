import ConvNet
import DrivingData

/// Applies a model's `InputPipeline` to camera frames: crop rows -> resize (OpenCV INTER_LINEAR,
/// DrivingData's resizer, the one training data went through) -> colour space. The result is the
/// uint8 `(H, W, 3)` image the network takes; normalization is one of the network's layers.
/// Reuses its buffers: after the first frame of a given size it allocates nothing.
public struct FramePreparer {
  public let pipeline: InputPipeline
  private var cropped = RGBImage(width: 1, height: 1)
  private var output = RGBImage(width: 1, height: 1)
  private var resizer: BilinearResizer?
  private var checkedSize: (Int, Int) = (0, 0)

  public init(pipeline: InputPipeline) {
    self.pipeline = pipeline
  }

  // frame: (h, w, 3) -> (modelInputShape) uint8
  public mutating func prepare(_ frame: RGBImage) throws -> RGBImage {
    if checkedSize != (frame.width, frame.height) {
      do { try pipeline.check(frameWidth: frame.width, height: frame.height) } catch {
        throw DriveError.invalidOption("\(error)")
      }
      checkedSize = (frame.width, frame.height)
      resizer = nil
    }
    var image = frame
    if pipeline.cropTop > 0 || pipeline.cropBottom > 0 {
      try Self.cropRows(frame, top: pipeline.cropTop, bottom: pipeline.cropBottom, into: &cropped)
      image = cropped
    }
    if let w = pipeline.resizeWidth, let h = pipeline.resizeHeight, w != image.width || h != image.height {
      if w * 2 == image.width && h * 2 == image.height {
        image = try image.resizedBilinear(width: w, height: h)  // OpenCV averages exact halvings
      } else {
        if resizer == nil {
          resizer = try BilinearResizer(
            sourceWidth: image.width, sourceHeight: image.height, width: w, height: h)
        }
        try resizer!.resize(image, into: &output)
        image = output
      }
    }
    switch pipeline.colorSpace {
    case .rgb: break
    case .bgr: Self.swapRedBlue(&image)
    case .yuv: Self.rgbToYUV(&image)
    }
    return image
  }

  // (H, W, 3) -> (H - top - bottom, W, 3)
  static func cropRows(_ image: RGBImage, top: Int, bottom: Int, into out: inout RGBImage) throws {
    let rows = image.height - top - bottom
    let row = image.width * 3
    if out.width != image.width || out.height != rows {
      out = RGBImage(width: image.width, height: rows)
    }
    out.pixels.withUnsafeMutableBufferPointer { dst in
      image.pixels.withUnsafeBufferPointer { src in
        dst.baseAddress!.update(from: src.baseAddress! + top * row, count: rows * row)
      }
    }
  }

  static func swapRedBlue(_ image: inout RGBImage) {
    image.pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) { p.swapAt(i, i + 2) }
    }
  }

  /// OpenCV's COLOR_RGB2YUV on uint8, in its 14-bit fixed point (so results match cv2 exactly):
  /// Y = .299R + .587G + .114B, U = (B - Y) * .492 + 128, V = (R - Y) * .877 + 128, saturated.
  static func rgbToYUV(_ image: inout RGBImage) {
    let half: Int32 = 1 << 13
    let delta: Int32 = 128 << 14
    image.pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) {
        let (r, g, b) = (Int32(p[i]), Int32(p[i + 1]), Int32(p[i + 2]))
        let y = (r * 4899 + g * 9617 + b * 1868 + half) >> 14
        p[i] = UInt8(clamping: y)
        p[i + 1] = UInt8(clamping: ((b - y) * 8061 + delta + half) >> 14)
        p[i + 2] = UInt8(clamping: ((r - y) * 14369 + delta + half) >> 14)
      }
    }
  }
}
