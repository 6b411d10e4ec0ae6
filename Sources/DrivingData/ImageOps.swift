// Geometric image operations: crop and horizontal flip.

extension RGBImage {
  /// The rectangle `(x, y, width, height)`; throws if it is empty or leaves the image.
  public func cropped(x: Int, y: Int, width: Int, height: Int) throws -> RGBImage {
    guard x >= 0, y >= 0, width > 0, height > 0, x + width <= self.width, y + height <= self.height else {
      throw DrivingDataError.invalidArgument(
        "crop (\(x), \(y), \(width)x\(height)) outside \(self.width)x\(self.height)")
    }
    var output = [UInt8](repeating: 0, count: width * height * 3)
    for row in 0..<height {
      let from = ((y + row) * self.width + x) * 3
      output.replaceSubrange(row * width * 3..<(row + 1) * width * 3, with: pixels[from..<from + width * 3])
    }
    return RGBImage(uncheckedWidth: width, height: height, pixels: output)
  }

  /// Removes `top` and `bottom` rows (the seed's `Cropping2D(((43, 12), (0, 0)))` on 128x128).
  public func cropped(top: Int, bottom: Int) throws -> RGBImage {
    try cropped(x: 0, y: top, width: width, height: height - top - bottom)
  }

  /// Mirrored left to right (a flipped frame pairs with negated steering).
  public func flippedHorizontally() -> RGBImage {
    var output = self
    output.flipHorizontally()
    return output
  }

  /// Mirrors left to right in place.
  public mutating func flipHorizontally() {
    let width = self.width
    pixels.withUnsafeMutableBufferPointer { p in
      for y in 0..<height {
        var left = y * width * 3
        var right = left + (width - 1) * 3
        while left < right {
          for c in 0..<3 { p.swapAt(left + c, right + c) }
          left += 3
          right -= 3
        }
      }
    }
  }
}
