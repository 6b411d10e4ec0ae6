// Resize bit-compatible with OpenCV's INTER_LINEAR on uint8 images: half-pixel centres, edge
// clamping, no antialiasing, 11-bit fixed-point weights; and, as OpenCV does, the area average
// for an exact halving in both directions. The only resize rule frames go through (preparation,
// Drive, Predict, the report), so a network never sees pixels resized another way.

/// A precomputed INTER_LINEAR resize between two fixed sizes (e.g. the simulator's 320x160 frame to
/// the network's 128x128). Tables are built once; `resize(_:into:)` allocates nothing.
/// A value type holding its own scratch rows: copy one per thread.
public struct BilinearResizer: Sendable {
  public let sourceWidth: Int
  public let sourceHeight: Int
  public let width: Int
  public let height: Int
  /// Per output column: first source column and its weight (the second gets 2048 - weight).
  private let xOffset: [Int32]
  private let xWeight: [Int32]
  /// Per output row: first source row (clamped) and second source row, with weights.
  private let yFirst: [Int32]
  private let ySecond: [Int32]
  private let yWeight: [Int32]
  /// Horizontally resized source rows, cached by source row index.
  private var rows: [Int32]
  private var cachedRow: (Int, Int) = (-1, -1)
  /// OpenCV switches INTER_LINEAR to its area fast path when both sides halve exactly.
  private let halves: Bool

  static let weightBits = 11
  static let one: Int32 = 1 << weightBits

  public init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) throws(DrivingDataError) {
    guard sourceWidth > 0, sourceHeight > 0, width > 0, height > 0 else {
      throw DrivingDataError.invalidArgument("resize \(sourceWidth)x\(sourceHeight) -> \(width)x\(height)")
    }
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.width = width
    self.height = height
    let x = BilinearResizer.taps(source: sourceWidth, target: width, clampFraction: true)
    xOffset = x.map { Int32($0.first) }
    xWeight = x.map { $0.weight }
    let y = BilinearResizer.taps(source: sourceHeight, target: height, clampFraction: false)
    yFirst = y.map { Int32(min(max($0.first, 0), sourceHeight - 1)) }
    ySecond = y.map { Int32(min(max($0.first + 1, 0), sourceHeight - 1)) }
    yWeight = y.map { $0.weight }
    rows = [Int32](repeating: 0, count: 2 * width * 3)
    halves = sourceWidth == 2 * width && sourceHeight == 2 * height
  }

  /// OpenCV's coordinate mapping: `f = (d + 0.5) * scale - 0.5`, computed in double and stored as
  /// float, weight of the first tap `round((1 - frac) * 2048)`. Columns clamp the fraction at the
  /// edges; rows clamp the row index instead (OpenCV does the same; results agree).
  static func taps(source: Int, target: Int, clampFraction: Bool) -> [(first: Int, weight: Int32)] {
    (0..<target).map { tap($0, source: source, target: target, clampFraction: clampFraction) }
  }

  static func tap(_ d: Int, source: Int, target: Int, clampFraction: Bool) -> (first: Int, weight: Int32) {
    let scale = Double(source) / Double(target)
    var f = Float((Double(d) + 0.5) * scale - 0.5)
    var s = Int(f.rounded(.down))
    f -= Float(s)
    if clampFraction {
      if s < 0 { (f, s) = (0, 0) }
      if s >= source - 1 { (f, s) = (0, source - 1) }
    }
    return (s, Int32(((1 - f) * Float(one)).rounded(.toNearestOrEven)))
  }

  /// The source rows that output rows `rows` of a `sourceHeight` -> `height` resize read (both
  /// taps, clamped), without building a resizer. `rows` must lie in 0..<height.
  public static func sourceRows(_ rows: Range<Int>, sourceHeight: Int, height: Int) -> Range<Int> {
    guard !rows.isEmpty else { return 0..<0 }
    if sourceHeight == 2 * height { return (2 * rows.lowerBound)..<(2 * rows.upperBound) }  // area halving
    let first = tap(rows.lowerBound, source: sourceHeight, target: height, clampFraction: false).first
    let last = tap(rows.upperBound - 1, source: sourceHeight, target: height, clampFraction: false).first + 1
    return min(max(first, 0), sourceHeight - 1)..<(min(max(last, 0), sourceHeight - 1) + 1)
  }

  /// Resizes `image` (which must be `sourceWidth x sourceHeight`) into `output`, reusing its storage.
  /// With `rows`, computes only those output rows (reading only `sourceRows(rows, ...)` of the
  /// source); the others keep whatever `output` held.
  public mutating func resize(_ image: RGBImage, into output: inout RGBImage, rows: Range<Int>? = nil)
    throws(DrivingDataError)
  {
    guard image.width == sourceWidth, image.height == sourceHeight else {
      throw DrivingDataError.invalidArgument(
        "resizer for \(sourceWidth)x\(sourceHeight) got \(image.width)x\(image.height)")
    }
    let rows = rows ?? 0..<height
    guard rows.lowerBound >= 0, rows.upperBound <= height else {
      throw DrivingDataError.invalidArgument("output rows \(rows) of a resize to \(height) rows")
    }
    if output.width != width || output.height != height {
      output = RGBImage(width: width, height: height)
    }
    cachedRow = (-1, -1)
    image.pixels.withUnsafeBufferPointer { source in
      output.pixels.withUnsafeMutableBufferPointer { target in
        if halves {
          halve(source.baseAddress!, target.baseAddress!, rows: rows)
        } else {
          resizeRows(source.baseAddress!, target.baseAddress!, rows: rows)
        }
      }
    }
  }

  // source: (2 * height, 2 * width, 3) -> target: (height, width, 3); OpenCV's resizeAreaFast for a
  // factor of 2: the 2x2 sum, rounded half up.
  private func halve(_ source: UnsafePointer<UInt8>, _ target: UnsafeMutablePointer<UInt8>, rows: Range<Int>)
  {
    let sourceStride = sourceWidth * 3
    for y in rows {
      let top = source + 2 * y * sourceStride
      let bottom = top + sourceStride
      let out = target + y * width * 3
      for x in 0..<width {
        for c in 0..<3 {
          let i = 6 * x + c
          let sum = Int(top[i]) + Int(top[i + 3]) + Int(bottom[i]) + Int(bottom[i + 3])
          out[3 * x + c] = UInt8((sum + 2) >> 2)
        }
      }
    }
  }

  /// Resizes `image` into a new image.
  public mutating func resize(_ image: RGBImage) throws(DrivingDataError) -> RGBImage {
    var output = RGBImage(width: width, height: height)
    try resize(image, into: &output)
    return output
  }

  // source: (sourceHeight, sourceWidth, 3) -> target: (height, width, 3)
  private mutating func resizeRows(
    _ source: UnsafePointer<UInt8>, _ target: UnsafeMutablePointer<UInt8>, rows outputRows: Range<Int>
  ) {
    let rowLength = width * 3
    let sourceStride = sourceWidth * 3
    let sourceWidth = sourceWidth
    xOffset.withUnsafeBufferPointer { xOffset in
      xWeight.withUnsafeBufferPointer { xWeight in
        rows.withUnsafeMutableBufferPointer { rows in
          let slot0 = rows.baseAddress!
          let slot1 = slot0 + rowLength
          // Horizontal pass of source row `sy` into `out` (scale 2048).
          func horizontal(_ sy: Int, _ out: UnsafeMutablePointer<Int32>) {
            let row = source + sy * sourceStride
            for dx in 0..<xOffset.count {
              let sx = Int(xOffset[dx]) * 3
              let a0 = xWeight[dx]
              let a1 = BilinearResizer.one - a0
              let next = sx + (Int(xOffset[dx]) + 1 < sourceWidth ? 3 : 0)
              let o = dx * 3
              out[o] = Int32(row[sx]) &* a0 &+ Int32(row[next]) &* a1
              out[o + 1] = Int32(row[sx + 1]) &* a0 &+ Int32(row[next + 1]) &* a1
              out[o + 2] = Int32(row[sx + 2]) &* a0 &+ Int32(row[next + 2]) &* a1
            }
          }
          for dy in outputRows {
            let first = Int(yFirst[dy])
            let second = Int(ySecond[dy])
            // Reuse rows computed for the previous output row (downscales share, upscales repeat).
            func slots(_ i: Int) -> UnsafeMutablePointer<Int32> { i == 0 ? slot0 : slot1 }
            let firstSlot: Int
            if cachedRow.0 == first {
              firstSlot = 0
            } else if cachedRow.1 == first {
              firstSlot = 1
            } else {
              firstSlot = cachedRow.0 == second ? 1 : 0
              horizontal(first, slots(firstSlot))
              if firstSlot == 0 { cachedRow.0 = first } else { cachedRow.1 = first }
            }
            let otherSlot = 1 - firstSlot
            let r0 = slots(firstSlot)
            var r1 = r0
            if second != first {
              r1 = slots(otherSlot)
              if (otherSlot == 0 ? cachedRow.0 : cachedRow.1) != second {
                horizontal(second, r1)
                if otherSlot == 0 { cachedRow.0 = second } else { cachedRow.1 = second }
              }
            }
            // OpenCV's vectorised vertical pass: ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16), then
            // rounded >> 2. Equivalent to (S0 b0 + S1 b1) >> 22 up to the dropped low bits.
            let b0 = yWeight[dy]
            let b1 = BilinearResizer.one - b0
            let out = target + dy * rowLength
            for i in 0..<rowLength {
              let v = ((r0[i] >> 4) &* b0) >> 16 &+ ((r1[i] >> 4) &* b1) >> 16
              out[i] = UInt8(clamping: (v &+ 2) >> 2)
            }
          }
        }
      }
    }
  }
}

extension RGBImage {
  /// Resize as OpenCV's `cv2.resize(..., interpolation=INTER_LINEAR)`; for an exact halving in both
  /// directions OpenCV (and this) uses the area average instead.
  public func resizedBilinear(width: Int, height: Int) throws(DrivingDataError) -> RGBImage {
    var resizer = try BilinearResizer(
      sourceWidth: self.width, sourceHeight: self.height, width: width, height: height)
    return try resizer.resize(self)
  }
}

/// Naive reference: textbook bilinear interpolation in floating point with half-pixel centres and
/// clamped edges, rounded to nearest. Documents the maths the fixed-point version approximates.
/// image: (H, W, 3) -> (height, width, 3)
package func resizeBilinearReference(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
  var output = RGBImage(width: width, height: height)
  let sx = Double(image.width) / Double(width)
  let sy = Double(image.height) / Double(height)
  for y in 0..<height {
    let fy = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(image.height - 1))
    let y0 = Int(fy)
    let y1 = min(y0 + 1, image.height - 1)
    let wy = fy - Double(y0)
    for x in 0..<width {
      let fx = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(image.width - 1))
      let x0 = Int(fx)
      let x1 = min(x0 + 1, image.width - 1)
      let wx = fx - Double(x0)
      for c in 0..<3 {
        let top =
          Double(image[x: x0, y: y0, channel: c]) * (1 - wx) + Double(image[x: x1, y: y0, channel: c]) * wx
        let bottom =
          Double(image[x: x0, y: y1, channel: c]) * (1 - wx) + Double(image[x: x1, y: y1, channel: c]) * wx
        output[x: x, y: y, channel: c] = UInt8(clamping: Int((top * (1 - wy) + bottom * wy).rounded()))
      }
    }
  }
  return output
}
