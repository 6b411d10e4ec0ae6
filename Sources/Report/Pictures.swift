// Pictures for the report: feature-map mosaics, the crop drawn on a frame, nearest-neighbour zoom.
import DrivingData
import TensorCore

public enum ReportPictures {
  /// maps: (H, W, C) activations of one image -> a grey mosaic of C tiles (columns x rows), each
  /// tile scaled to its own min..max (as the seed's writeup shows them), 1-pixel gaps, zoomed.
  public static func featureMapMosaic(_ maps: Tensor, columns: Int = 8, zoom: Int = 2) throws -> RGBImage {
    guard maps.rank == 3 else {
      throw DrivingDataError.invalidArgument("feature maps must be (H, W, C), got \(maps.shape)")
    }
    let (h, w, c) = (maps.shape[0], maps.shape[1], maps.shape[2])
    let cols = max(1, min(columns, c))
    let rows = (c + cols - 1) / cols
    let z = max(1, zoom)
    let tileW = w * z + 1
    let tileH = h * z + 1
    var pixels = [UInt8](repeating: 255, count: (cols * tileW + 1) * (rows * tileH + 1) * 3)
    let stride = (cols * tileW + 1) * 3
    let values = maps.scalars
    for channel in 0..<c {
      var lo = Float.infinity
      var hi = -Float.infinity
      for i in 0..<(h * w) {
        let v = values[i * c + channel]
        lo = min(lo, v)
        hi = max(hi, v)
      }
      let scale = hi > lo ? 255 / (hi - lo) : 0
      let ox = 1 + (channel % cols) * tileW
      let oy = 1 + (channel / cols) * tileH
      for y in 0..<(h * z) {
        for x in 0..<(w * z) {
          let v = values[((y / z) * w + x / z) * c + channel]
          let g = UInt8(max(0, min(255, ((v - lo) * scale).rounded())))
          let p = (oy + y) * stride + (ox + x) * 3
          pixels[p] = g
          pixels[p + 1] = g
          pixels[p + 2] = g
        }
      }
    }
    return try RGBImage(width: cols * tileW + 1, height: rows * tileH + 1, pixels: pixels)
  }

  /// The frame with the rows a model crops away darkened and the kept band outlined in red.
  public static func cropOverlay(_ image: RGBImage, top: Int, bottom: Int) -> RGBImage {
    var out = image
    let keptEnd = image.height - bottom
    for y in 0..<image.height {
      let dropped = y < top || y >= keptEnd
      let edge = y == top || y == keptEnd - 1
      for x in 0..<image.width {
        let p = (y * image.width + x) * 3
        if edge {
          out.pixels[p] = 255
          out.pixels[p + 1] = 0
          out.pixels[p + 2] = 0
        } else if dropped {
          for k in 0..<3 { out.pixels[p + k] = UInt8(Int(image.pixels[p + k]) * 35 / 100) }
        }
      }
    }
    return out
  }

  /// Nearest-neighbour enlargement (small training images stay crisp in a browser at any zoom).
  public static func zoom(_ image: RGBImage, by factor: Int) throws -> RGBImage {
    let z = max(1, factor)
    var pixels = [UInt8](repeating: 0, count: image.width * z * image.height * z * 3)
    for y in 0..<(image.height * z) {
      for x in 0..<(image.width * z) {
        let s = ((y / z) * image.width + x / z) * 3
        let d = (y * image.width * z + x) * 3
        pixels[d] = image.pixels[s]
        pixels[d + 1] = image.pixels[s + 1]
        pixels[d + 2] = image.pixels[s + 2]
      }
    }
    return try RGBImage(width: image.width * z, height: image.height * z, pixels: pixels)
  }
}
