// Colour conversions on 8-bit images with OpenCV's conventions, so networks trained on images
// converted by cv2 (e.g. NVIDIA's YUV planes) see the same values here.

/// Channel order and space a network is trained on (the decoders always yield RGB).
public enum ColorSpace: String, Sendable, Codable, CaseIterable {
  case rgb, bgr, yuv

  /// Converts an RGB image in place: the colour stage of every `InputPipeline`.
  public func convert(_ image: inout RGBImage) {
    switch self {
    case .rgb: break
    case .bgr: image.swapRedBlue()
    case .yuv: image.convertRGBToYUV()
    }
  }
}

extension RGBImage {
  /// YUV as `cv2.COLOR_RGB2YUV`, bit for bit: Y = .299R + .587G + .114B, U = .492(B - Y) + 128,
  /// V = .877(R - Y) + 128 in OpenCV's 14-bit fixed point, saturated. Channels become (Y, U, V).
  public func rgbToYUV() -> RGBImage {
    var output = self
    output.convertRGBToYUV()
    return output
  }

  /// `rgbToYUV` in place (no allocation).
  public mutating func convertRGBToYUV() {
    let half: Int32 = 1 << 13
    let delta: Int32 = 128 << 14
    pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) {
        let (r, g, b) = (Int32(p[i]), Int32(p[i + 1]), Int32(p[i + 2]))
        let y = (r * 4899 + g * 9617 + b * 1868 + half) >> 14
        p[i] = UInt8(clamping: y)
        p[i + 1] = UInt8(clamping: ((b - y) * 8061 + delta + half) >> 14)
        p[i + 2] = UInt8(clamping: ((r - y) * 14369 + delta + half) >> 14)
      }
    }
  }

  /// RGB <-> BGR in place.
  public mutating func swapRedBlue() {
    pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) { p.swapAt(i, i + 2) }
    }
  }

  /// Inverse of `rgbToYUV` (`cv2.COLOR_YUV2RGB`); channels are read as (Y, U, V).
  public func yuvToRGB() -> RGBImage {
    map { y, u, v in
      let (du, dv) = (u - 128, v - 128)
      return (y + 1.13983 * dv, y - 0.39465 * du - 0.58060 * dv, y + 2.03211 * du)
    }
  }

  /// HSV as `cv2.COLOR_RGB2HSV` for uint8: H in 0..<180 (degrees / 2), S and V in 0...255.
  public func rgbToHSV() -> RGBImage {
    map { r, g, b in
      let v = max(r, g, b)
      let delta = v - min(r, g, b)
      let s = v == 0 ? 0 : delta * 255 / v
      var h: Float = 0
      if delta > 0 {
        if v == r {
          h = (g - b) * 60 / delta
        } else if v == g {
          h = 120 + (b - r) * 60 / delta
        } else {
          h = 240 + (r - g) * 60 / delta
        }
        if h < 0 { h += 360 }
      }
      let half = (h / 2).rounded()
      return (half >= 180 ? half - 180 : half, s, v)
    }
  }

  /// Inverse of `rgbToHSV` (`cv2.COLOR_HSV2RGB`); channels are read as (H/2, S, V).
  public func hsvToRGB() -> RGBImage {
    map { h2, s255, v in
      let s = s255 / 255
      let h = (h2 * 2).truncatingRemainder(dividingBy: 360) / 60
      let sector = Int(h.rounded(.down)) % 6
      let f = h - h.rounded(.down)
      let p = v * (1 - s)
      let q = v * (1 - s * f)
      let t = v * (1 - s * (1 - f))
      switch sector {
      case 0: return (v, t, p)
      case 1: return (q, v, p)
      case 2: return (p, v, t)
      case 3: return (p, q, v)
      case 4: return (t, p, v)
      default: return (v, p, q)
      }
    }
  }

  /// Applies `transform` to every pixel's channels as floats; results are rounded and saturated.
  package func map(_ transform: (Float, Float, Float) -> (Float, Float, Float)) -> RGBImage {
    var output = self
    output.mapInPlace(transform)
    return output
  }

  /// `map` without a copy of the image.
  package mutating func mapInPlace(_ transform: (Float, Float, Float) -> (Float, Float, Float)) {
    pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) {
        let (a, b, c) = transform(Float(p[i]), Float(p[i + 1]), Float(p[i + 2]))
        p[i] = saturate(a)
        p[i + 1] = saturate(b)
        p[i + 2] = saturate(c)
      }
    }
  }
}

@inline(__always)
package func saturate(_ value: Float) -> UInt8 {
  value <= 0 ? 0 : value >= 255 ? 255 : UInt8(value.rounded(.toNearestOrEven))
}
