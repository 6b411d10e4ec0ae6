// The image type every DrivingData operation takes and returns.

/// An 8-bit RGB image, pixels row-major `(height, width, 3)` (HWC), top row first.
public struct RGBImage: Sendable, Equatable {
  public private(set) var width: Int
  public private(set) var height: Int
  /// `height * width * 3` bytes: `pixels[(y * width + x) * 3 + c]`.
  public var pixels: [UInt8]

  public static let channels = 3

  /// Wraps existing pixels; throws if their count is not `width * height * 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) throws {
    guard width > 0, height > 0, pixels.count == width * height * 3 else {
      throw DrivingDataError.invalidArgument(
        "RGBImage \(width)x\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A black image, or one filled with `red, green, blue`.
  public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
    precondition(width > 0 && height > 0, "RGBImage size must be positive")
    self.width = width
    self.height = height
    var values = [UInt8](repeating: 0, count: width * height * 3)
    if fill != (0, 0, 0) {
      for i in stride(from: 0, to: values.count, by: 3) {
        values[i] = fill.0
        values[i + 1] = fill.1
        values[i + 2] = fill.2
      }
    }
    pixels = values
  }

  /// Trusted construction inside the module (sizes already checked).
  package init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  public var byteCount: Int { width * height * 3 }

  /// The channel `channel` (0 red, 1 green, 2 blue) of pixel `(x, y)`.
  public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
    get { pixels[(y * width + x) * 3 + channel] }
    set { pixels[(y * width + x) * 3 + channel] = newValue }
  }

  /// Mean absolute difference per byte; images must have the same size.
  public func meanAbsoluteDifference(to other: RGBImage) -> Double {
    precondition(width == other.width && height == other.height, "sizes differ")
    var total = 0
    for i in 0..<pixels.count { total += abs(Int(pixels[i]) - Int(other.pixels[i])) }
    return Double(total) / Double(pixels.count)
  }

  /// Largest absolute difference of any byte; images must have the same size.
  public func maximumDifference(to other: RGBImage) -> Int {
    precondition(width == other.width && height == other.height, "sizes differ")
    var worst = 0
    for i in 0..<pixels.count { worst = max(worst, abs(Int(pixels[i]) - Int(other.pixels[i]))) }
    return worst
  }
}
