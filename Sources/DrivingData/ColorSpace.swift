// Colour conversions on 8-bit images with OpenCV's conventions, so networks trained on images
// converted by cv2 (e.g. NVIDIA's YUV planes) see the same values here.

extension RGBImage {
  /// YUV as `cv2.COLOR_RGB2YUV`: Y = .299R + .587G + .114B, U = .492(B - Y) + 128,
  /// V = .877(R - Y) + 128, rounded and saturated. Stored in the three channels (Y, U, V).
  public func rgbToYUV() -> RGBImage {
    map { r, g, b in
      let y = 0.299 * r + 0.587 * g + 0.114 * b
      return (y, (b - y) * 0.492111 + 128, (r - y) * 0.877283 + 128)
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
    output.pixels.withUnsafeMutableBufferPointer { p in
      for i in stride(from: 0, to: p.count, by: 3) {
        let (a, b, c) = transform(Float(p[i]), Float(p[i + 1]), Float(p[i + 2]))
        p[i] = saturate(a)
        p[i + 1] = saturate(b)
        p[i + 2] = saturate(c)
      }
    }
    return output
  }
}

@inline(__always)
package func saturate(_ value: Float) -> UInt8 {
  value <= 0 ? 0 : value >= 255 ? 255 : UInt8(value.rounded(.toNearestOrEven))
}
