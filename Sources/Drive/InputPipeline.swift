import DrivingData

/// What a model expects between the decoded camera frame and its first layer:
/// resize (bilinear) -> crop rows -> normalize. The seed's Keras model crops and normalizes in its
/// own layers, so its stored pipeline is only `resize 128x128`; a model without those layers states
/// them here (`--crop 43,12 --normalize symmetric`).
public struct InputPipeline: Sendable, Equatable, CustomStringConvertible {
  /// How uint8 pixel values become the model's floats.
  public enum Normalization: Sendable, Equatable {
    /// 0...255 as floats.
    case none
    /// x / 255 -> 0...1.
    case unit
    /// x / 127.5 - 1 -> -1...1 (the seed's Lambda layer).
    case symmetric
    /// x * scale + offset.
    case affine(scale: Float, offset: Float)

    var scaleOffset: (Float, Float) {
      switch self {
      case .none: (1, 0)
      case .unit: (1 / 255, 0)
      case .symmetric: (1 / 127.5, -1)
      case .affine(let s, let o): (s, o)
      }
    }
  }

  /// Target `(width, height)` of the resize; nil keeps the camera's size.
  public var resizeWidth: Int?
  public var resizeHeight: Int?
  /// Rows removed after the resize.
  public var cropTop: Int
  public var cropBottom: Int
  public var normalization: Normalization

  public init(
    resizeWidth: Int? = nil, resizeHeight: Int? = nil, cropTop: Int = 0, cropBottom: Int = 0,
    normalization: Normalization = .none
  ) {
    self.resizeWidth = resizeWidth
    self.resizeHeight = resizeHeight
    self.cropTop = cropTop
    self.cropBottom = cropBottom
    self.normalization = normalization
  }

  /// The seed model's input: 320x160 -> 128x128; its layers crop (43, 12) and scale x/127.5 - 1.
  public static let seed = InputPipeline(resizeWidth: 128, resizeHeight: 128)

  public var description: String {
    var parts: [String] = []
    if let w = resizeWidth, let h = resizeHeight { parts.append("resize \(w)x\(h)") }
    if cropTop != 0 || cropBottom != 0 { parts.append("crop \(cropTop),\(cropBottom)") }
    if normalization != .none { parts.append("normalize \(normalization)") }
    return parts.isEmpty ? "identity" : parts.joined(separator: ", ")
  }

  /// Resize then crop, still uint8: what a model with its own normalization layer takes.
  /// The resize is DrivingData's (OpenCV INTER_LINEAR), the one training data was prepared with.
  // image: (H, W, 3) -> (h - top - bottom, w, 3)
  public func resizeAndCrop(_ image: RGBImage) throws -> RGBImage {
    var out = image
    if let w = resizeWidth, let h = resizeHeight, w != image.width || h != image.height {
      out = try image.resizedBilinear(width: w, height: h)
    }
    return try crop(out)
  }

  // image: (H, W, 3) -> (H - top - bottom, W, 3)
  func crop(_ out: RGBImage) throws -> RGBImage {
    guard cropTop >= 0, cropBottom >= 0, cropTop + cropBottom < out.height else {
      throw DriveError.invalidOption("crop \(cropTop),\(cropBottom) leaves no rows of \(out.height)")
    }
    guard cropTop + cropBottom > 0 else { return out }
    let row = out.width * 3
    let kept = Array(out.pixels[(cropTop * row)..<((out.height - cropBottom) * row)])
    return try RGBImage(width: out.width, height: out.height - cropTop - cropBottom, pixels: kept)
  }

  /// The whole pipeline: `(height, width, 3)` Float32 values, row-major.
  public func prepare(_ image: RGBImage) throws -> (values: [Float], height: Int, width: Int) {
    let cropped = try resizeAndCrop(image)
    let (scale, offset) = normalization.scaleOffset
    let values = cropped.pixels.map { Float($0) * scale + offset }
    return (values, cropped.height, cropped.width)
  }

  /// Parses the command-line forms: `128x128`, `43,12`, `none|unit|symmetric|<scale>:<offset>`.
  public static func parse(resize: String?, crop: String?, normalize: String?) throws -> InputPipeline {
    var p = InputPipeline()
    if let resize {
      let parts = resize.lowercased().split(separator: "x")
      guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
        throw DriveError.invalidOption("--resize \(resize): expected WIDTHxHEIGHT, e.g. 128x128")
      }
      p.resizeWidth = w
      p.resizeHeight = h
    }
    if let crop {
      let parts = crop.split(separator: ",")
      guard parts.count == 2, let t = Int(parts[0]), let b = Int(parts[1]), t >= 0, b >= 0 else {
        throw DriveError.invalidOption("--crop \(crop): expected TOP,BOTTOM rows, e.g. 43,12")
      }
      p.cropTop = t
      p.cropBottom = b
    }
    if let normalize {
      switch normalize.lowercased() {
      case "none": p.normalization = .none
      case "unit": p.normalization = .unit
      case "symmetric": p.normalization = .symmetric
      default:
        let parts = normalize.split(separator: ":")
        guard parts.count == 2, let s = Float(parts[0]), let o = Float(parts[1]) else {
          throw DriveError.invalidOption(
            "--normalize \(normalize): expected none, unit (x/255), symmetric (x/127.5-1) or SCALE:OFFSET")
        }
        p.normalization = .affine(scale: s, offset: o)
      }
    }
    return p
  }
}
