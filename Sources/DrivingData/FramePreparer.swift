// The one path from a camera frame to network input. Preparation (training data), Drive, Predict
// and the report all go through it, so a model sees at driving time exactly the pixels it was
// trained on.

/// Applies an `InputPipeline` to camera frames: crop rows -> resize (OpenCV INTER_LINEAR, see
/// `BilinearResizer`) -> colour space. The result is the uint8 `(H, W, 3)` image the network takes;
/// normalization is one of the network's layers.
///
/// The two stages are also available apart, because preparation flips and augments the resized RGB
/// image before converting its colours (`resize(_:)`, then `convertColor(_:)`); per pixel, both
/// orders give the same bytes for an unaugmented frame.
/// Reuses its buffers: after the first frame of a given size it allocates nothing.
public struct FramePreparer: Sendable {
  public let pipeline: InputPipeline
  private var cropped = RGBImage(width: 1, height: 1)
  private var output = RGBImage(width: 1, height: 1)
  private var resizer: BilinearResizer?
  private var checkedSize: (width: Int, height: Int) = (0, 0)

  /// Rows of the prepared image its consumer reads (nil: all), e.g. `Sequential.inputRowsRead` for
  /// a network whose first layer crops: only those rows are resized, and the others hold
  /// unspecified values (the colour conversion still runs over all). The seed's crop keeps 73 of
  /// 128 rows.
  public var rows: Range<Int>? {
    didSet { checkedSize = (0, 0) }
  }

  public init(pipeline: InputPipeline, rows: Range<Int>? = nil) {
    self.pipeline = pipeline
    self.rows = rows
  }

  /// The rows of a `width` x `height` camera frame that preparing it reads (all of them without
  /// `rows`): a decoder may leave the others undecoded.
  public func frameRows(width: Int, height: Int) throws(DrivingDataError) -> Range<Int> {
    try pipeline.check(frameWidth: width, height: height)
    guard let rows else { return 0..<height }
    let cropped = height - pipeline.cropTop - pipeline.cropBottom
    let source =
      pipeline.resizeHeight.map { BilinearResizer.sourceRows(rows, sourceHeight: cropped, height: $0) }
      ?? rows
    return (source.lowerBound + pipeline.cropTop)..<(source.upperBound + pipeline.cropTop)
  }

  // frame: (h, w, 3) RGB -> modelInputShape uint8, in the pipeline's colour space
  public mutating func prepare(_ frame: RGBImage) throws(DrivingDataError) -> RGBImage {
    // Take the buffer out of `self` so it is uniquely referenced while written (no copy).
    var image = output
    output = Self.placeholder
    try resize(frame, into: &image)
    pipeline.colorSpace.convert(&image)
    output = image
    return image
  }

  private static let placeholder = RGBImage(width: 1, height: 1)

  /// The geometric stage alone: crop rows, then resize. Still RGB.
  // frame: (h, w, 3) -> (resizeHeight, resizeWidth, 3)
  public mutating func resize(_ frame: RGBImage) throws(DrivingDataError) -> RGBImage {
    var image = Self.placeholder  // replaced, not written: the result gets its own buffer
    try resize(frame, into: &image)
    return image
  }

  /// The colour stage alone, in place.
  public func convertColor(_ image: inout RGBImage) {
    pipeline.colorSpace.convert(&image)
  }

  private mutating func resize(_ frame: RGBImage, into out: inout RGBImage) throws(DrivingDataError) {
    if checkedSize != (frame.width, frame.height) {
      try pipeline.check(frameWidth: frame.width, height: frame.height)
      if let rows {
        let outputHeight = pipeline.resizeHeight ?? (frame.height - pipeline.cropTop - pipeline.cropBottom)
        guard rows.lowerBound >= 0, rows.upperBound <= outputHeight else {
          throw .invalidArgument("rows \(rows) of a prepared image \(outputHeight) rows high")
        }
      }
      checkedSize = (frame.width, frame.height)
      resizer = nil
    }
    var source = frame
    if pipeline.cropTop > 0 || pipeline.cropBottom > 0 {
      Self.cropRows(frame, top: pipeline.cropTop, bottom: pipeline.cropBottom, into: &cropped)
      source = cropped
    }
    guard let w = pipeline.resizeWidth, let h = pipeline.resizeHeight, (w, h) != (source.width, source.height)
    else {
      out = source
      return
    }
    if resizer == nil {
      resizer = try BilinearResizer(
        sourceWidth: source.width, sourceHeight: source.height, width: w, height: h)
    }
    try resizer!.resize(source, into: &out, rows: rows)
  }

  // (H, W, 3) -> (H - top - bottom, W, 3); the caller has checked the rows fit.
  package static func cropRows(_ image: RGBImage, top: Int, bottom: Int, into out: inout RGBImage) {
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
}
