// Area (box-filter) downscaling as OpenCV's INTER_AREA: each output pixel is the average of the
// source area it covers, partial pixels weighted by their covered fraction.

extension RGBImage {
  /// Area-average downscale (target no larger than the source in either direction).
  /// image: (H, W, 3) -> (height, width, 3)
  public func resizedArea(width: Int, height: Int) throws -> RGBImage {
    guard width > 0, height > 0, width <= self.width, height <= self.height else {
      throw DrivingDataError.invalidArgument(
        "area resize only shrinks: \(self.width)x\(self.height) -> \(width)x\(height)")
    }
    if self.width % width == 0 && self.height % height == 0 {
      return boxAverage(factorX: self.width / width, factorY: self.height / height)
    }
    let xs = areaWeights(source: self.width, target: width)
    let ys = areaWeights(source: self.height, target: height)
    var output = RGBImage(width: width, height: height)
    // Separable: columns first into a float buffer (source rows x width x 3), then rows.
    var columns = [Float](repeating: 0, count: self.height * width * 3)
    pixels.withUnsafeBufferPointer { source in
      for y in 0..<self.height {
        for (x, taps) in xs.enumerated() {
          var sum: (Float, Float, Float) = (0, 0, 0)
          for (sx, weight) in taps {
            let i = (y * self.width + sx) * 3
            sum.0 += Float(source[i]) * weight
            sum.1 += Float(source[i + 1]) * weight
            sum.2 += Float(source[i + 2]) * weight
          }
          let o = (y * width + x) * 3
          columns[o] = sum.0
          columns[o + 1] = sum.1
          columns[o + 2] = sum.2
        }
      }
    }
    for (y, taps) in ys.enumerated() {
      for i in 0..<(width * 3) {
        var sum: Float = 0
        for (sy, weight) in taps { sum += columns[sy * width * 3 + i] * weight }
        output.pixels[y * width * 3 + i] = UInt8(clamping: Int(sum.rounded(.toNearestOrEven)))
      }
    }
    return output
  }
}

extension RGBImage {
  /// Integer-factor area average in integers, rounding halves up as OpenCV's fast path does.
  fileprivate func boxAverage(factorX: Int, factorY: Int) -> RGBImage {
    let (width, height) = (self.width / factorX, self.height / factorY)
    let area = factorX * factorY
    var output = RGBImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<3 {
          var sum = 0
          for sy in (y * factorY)..<((y + 1) * factorY) {
            for sx in (x * factorX)..<((x + 1) * factorX) {
              sum += Int(pixels[(sy * self.width + sx) * 3 + c])
            }
          }
          output.pixels[(y * width + x) * 3 + c] = UInt8((sum + area / 2) / area)
        }
      }
    }
    return output
  }
}

/// For each output index, the source indices it covers and their weights (summing to 1).
private func areaWeights(source: Int, target: Int) -> [[(Int, Float)]] {
  let scale = Double(source) / Double(target)
  return (0..<target).map { d in
    let start = Double(d) * scale
    let end = start + scale
    var taps: [(Int, Float)] = []
    var s = Int(start.rounded(.down))
    while Double(s) < end - 1e-9 && s < source {
      let covered = min(end, Double(s + 1)) - max(start, Double(s))
      if covered > 1e-9 { taps.append((s, Float(covered / scale))) }
      s += 1
    }
    return taps
  }
}
