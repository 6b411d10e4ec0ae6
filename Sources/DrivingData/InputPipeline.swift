// What happens to a camera frame before the network sees it. Preparation builds it from its options
// (`PreparationOptions.inputPipeline`), TrainNvidia saves it beside the model (as a JSON attribute
// Keras ignores), and `FramePreparer` applies it, so Predict and Drive feed a model exactly what it
// was trained on. Order: source frame -> crop rows -> resize (OpenCV INTER_LINEAR) -> colour space ->
// model (whose first layers may crop again and normalize).
import Foundation

/// An affine pixel normalization `x * scale + offset`, applied to 0...255 values.
public struct Normalization: Sendable, Equatable, Codable, CustomStringConvertible {
  public var scale: Double
  public var offset: Double

  public init(scale: Double, offset: Double) {
    self.scale = scale
    self.offset = offset
  }

  /// x / 127.5 - 1 (-1...1), the seed's and most behavioural-cloning models'.
  public static let symmetric = Normalization(scale: 1 / 127.5, offset: -1)
  /// x / 255 - 0.5 (-0.5...0.5).
  public static let centred = Normalization(scale: 1 / 255.0, offset: -0.5)

  /// Parses "x/127.5-1", "x/255-0.5", "x/255" or "x*0.5+1" (spaces allowed).
  public init(parsing text: String) throws(DrivingDataError) {
    let s = text.replacingOccurrences(of: " ", with: "").lowercased()
    guard s.hasPrefix("x"), s.count > 1 else {
      throw .invalidArgument("normalization '\(text)' is not of the form x/127.5-1 or x*0.0078+-1")
    }
    var rest = Substring(s.dropFirst())
    let op = rest.removeFirst()
    guard op == "/" || op == "*" else { throw .invalidArgument("normalization '\(text)': expected x/ or x*") }
    // Split at the first + or - after the divisor (not a leading sign or an exponent's sign).
    var split = rest.endIndex
    var i = rest.index(after: rest.startIndex)
    while i < rest.endIndex {
      let previous = rest[rest.index(before: i)]
      if (rest[i] == "+" || rest[i] == "-") && previous != "e" {
        split = i
        break
      }
      i = rest.index(after: i)
    }
    guard let factor = Double(rest[..<split]), factor != 0, factor.isFinite else {
      throw .invalidArgument("normalization '\(text)': bad factor")
    }
    var offset = 0.0
    if split < rest.endIndex {
      var tail = String(rest[split...])
      if tail.hasPrefix("+") { tail.removeFirst() }
      guard let value = Double(tail.replacingOccurrences(of: "+-", with: "-")), value.isFinite else {
        throw .invalidArgument("normalization '\(text)': bad offset")
      }
      offset = value
    }
    self.init(scale: op == "/" ? 1 / factor : factor, offset: offset)
  }

  public var description: String {
    let divisor = 1 / scale
    let rounded = (divisor * 1e6).rounded() / 1e6
    let sign = offset < 0 ? "-" : "+"
    return "x/\(format(rounded))\(sign)\(format(abs(offset)))"
  }

  private func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
  }

  /// Equal within float precision (what a Float32 Rescaling layer can hold).
  public func isClose(to other: Normalization) -> Bool {
    abs(scale - other.scale) <= 1e-6 * max(abs(scale), 1e-12) + 1e-9 && abs(offset - other.offset) <= 1e-6
  }
}

/// The preprocessing a model expects outside the network itself.
public struct InputPipeline: Sendable, Equatable, Codable {
  /// Frame size the pipeline was designed for (the simulator's is 320x160); nil if unknown.
  public var sourceWidth: Int?
  public var sourceHeight: Int?
  /// Rows removed from the top and bottom of the source frame before resizing (0, 0: none).
  public var cropTop: Int
  public var cropBottom: Int
  /// Size after OpenCV-style bilinear resizing; nil keeps the (cropped) frame size.
  public var resizeWidth: Int?
  public var resizeHeight: Int?
  public var colorSpace: ColorSpace
  /// The normalization the network applies first (informational: it is a layer of the model).
  public var normalization: Normalization?
  /// The network's per-sample input shape (H, W, C).
  public var modelInputShape: [Int]

  public init(
    sourceWidth: Int? = nil, sourceHeight: Int? = nil, cropTop: Int = 0, cropBottom: Int = 0,
    resizeWidth: Int? = nil, resizeHeight: Int? = nil, colorSpace: ColorSpace = .rgb,
    normalization: Normalization? = nil, modelInputShape: [Int]
  ) {
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.cropTop = cropTop
    self.cropBottom = cropBottom
    self.resizeWidth = resizeWidth
    self.resizeHeight = resizeHeight
    self.colorSpace = colorSpace
    self.normalization = normalization
    self.modelInputShape = modelInputShape
  }

  /// One line for logs: "320x160 -> crop 0,0 -> resize 128x128 -> rgb -> model (128, 128, 3), x/127.5-1".
  public var summary: String {
    var parts: [String] = []
    if let w = sourceWidth, let h = sourceHeight { parts.append("\(w)x\(h)") }
    if cropTop > 0 || cropBottom > 0 { parts.append("crop rows \(cropTop),\(cropBottom)") }
    if let w = resizeWidth, let h = resizeHeight { parts.append("resize \(w)x\(h)") }
    parts.append(colorSpace.rawValue)
    let shape = modelInputShape.map(String.init).joined(separator: ", ")
    parts.append("model (\(shape))" + (normalization.map { ", normalizes \($0)" } ?? ""))
    return parts.joined(separator: " -> ")
  }

  /// The simulator's camera frame (Unity's and ours): 320x160.
  public static let simulatorFrame = (width: 320, height: 160)

  /// The seed project's: simulator frame 320x160 -> 128x128 RGB; the model crops and normalizes.
  public static let seed = InputPipeline(
    sourceWidth: 320, sourceHeight: 160, resizeWidth: 128, resizeHeight: 128, colorSpace: .rgb,
    normalization: .symmetric, modelInputShape: [128, 128, 3])

  /// Checks the pipeline ends in the model's input size for a frame of `width` x `height`.
  public func check(frameWidth width: Int, height: Int) throws(DrivingDataError) {
    let croppedHeight = height - cropTop - cropBottom
    guard cropTop >= 0, cropBottom >= 0, croppedHeight > 0 else {
      throw .invalidArgument("crop \(cropTop),\(cropBottom) does not fit a frame \(height) rows high")
    }
    let outW = resizeWidth ?? width
    let outH = resizeHeight ?? croppedHeight
    guard modelInputShape.count == 3, [outH, outW, 3] == modelInputShape else {
      throw .invalidArgument(
        "a \(width)x\(height) frame becomes \(outW)x\(outH)x3 after the pipeline, but the model takes "
          + "\(modelInputShape); state the resize (--resize WxH) or crop (--crop top,bottom)")
    }
  }
}
