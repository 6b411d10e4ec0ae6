import DrivingData

/// Bilinear resize with OpenCV's INTER_LINEAR conventions: half-pixel centres, edge clamping,
/// no antialiasing, rounding to nearest. This is the resize the seed's drive.py applied.
package enum Bilinear {
  // image: (H, W, 3) -> (height, width, 3)
  package static func resize(_ image: RGBImage, width: Int, height: Int) throws -> RGBImage {
    guard width > 0, height > 0 else { throw DriveError.invalidOption("resize to \(width)x\(height)") }
    let (xs, ys) = (taps(source: image.width, target: width), taps(source: image.height, target: height))
    var out = [UInt8](repeating: 0, count: width * height * 3)
    let sw = image.width
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          let (y0, y1, fy) = ys[y]
          let row0 = y0 * sw * 3
          let row1 = y1 * sw * 3
          for x in 0..<width {
            let (x0, x1, fx) = xs[x]
            for c in 0..<3 {
              let a = Float(src[row0 + x0 * 3 + c]) * (1 - fx) + Float(src[row0 + x1 * 3 + c]) * fx
              let b = Float(src[row1 + x0 * 3 + c]) * (1 - fx) + Float(src[row1 + x1 * 3 + c]) * fx
              dst[(y * width + x) * 3 + c] = UInt8(clamping: Int((a * (1 - fy) + b * fy).rounded()))
            }
          }
        }
      }
    }
    return try RGBImage(width: width, height: height, pixels: out)
  }

  // For each target index: the two source indices and the weight of the second.
  private static func taps(source: Int, target: Int) -> [(Int, Int, Float)] {
    let scale = Double(source) / Double(target)
    return (0..<target).map { i in
      let s = max((Double(i) + 0.5) * scale - 0.5, 0)
      let i0 = min(Int(s), source - 1)
      let i1 = min(i0 + 1, source - 1)
      return (i0, i1, Float(s - Double(i0)))
    }
  }
}
