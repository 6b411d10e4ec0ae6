// The ground seen from above, baked once per track: a texture of the road, its markings, kerbs and
// the off-road surfaces, with box-filtered mip levels so distant rows do not shimmer.
import Foundation

/// A top-down colour texture of the whole world with mip levels. Texels are packed 0x00BBGGRR.
final class GroundMap: Sendable {
  struct Level: Sendable {
    let width: Int
    let height: Int
    let cellSize: Double
    let texels: [UInt32]
  }

  let origin: Vec2
  let levels: [Level]
  /// Colour of the ground beyond the texture.
  let outside: UInt32

  /// Width of the verge between the kerb (or road edge) and the ordinary ground.
  static let vergeWidth = 2.5
  static let kerbWidth = 0.8

  init(track: Track, cellSize: Double = 0.1, margin: Double = 40, mipLevels: Int = 5) {
    let spec = track.spec
    let palette = Palette(seed: spec.textureSeed)
    let (lo, hi) = track.bounds
    // The texel grid is aligned to multiples of the coarsest mip cell, so every level's texels sit
    // at fixed world positions whatever the track's exact bounds.
    let coarsest = cellSize * Double(1 << (mipLevels - 1))
    origin = Vec2(
      x: ((lo.x - margin) / coarsest).rounded(.down) * coarsest,
      y: ((lo.y - margin) / coarsest).rounded(.down) * coarsest)
    let width = Int(((hi.x + margin - origin.x) / coarsest).rounded(.up)) * (1 << (mipLevels - 1))
    let height = Int(((hi.y + margin - origin.y) / coarsest).rounded(.up)) * (1 << (mipLevels - 1))
    var texels = [UInt32](repeating: 0, count: width * height)
    let origin = self.origin

    // Off-road ground and regions everywhere; rows are independent, so bands of rows run in parallel.
    texels.withUnsafeMutableBufferPointer { buffer in
      let out = SendablePointer(base: buffer.baseAddress!)
      let bands = 16
      DispatchQueue.concurrentPerform(iterations: bands) { band in
        for iy in stride(from: band, to: height, by: bands) {
          let y = origin.y + (Double(iy) + 0.5) * cellSize
          for ix in 0..<width {
            let x = origin.x + (Double(ix) + 0.5) * cellSize
            out.base[iy * width + ix] = GroundMap.groundColor(spec: spec, palette: palette, x, y)
          }
        }
      }
    }

    // The road band: each texel near the centre line takes the colour of its nearest segment.
    let band = track.halfWidth + GroundMap.kerbWidth + GroundMap.vergeWidth + 0.5
    var nearest = [Float](repeating: .infinity, count: width * height)
    let n = track.points.count
    for i in 0..<n {
      let a = track.points[i]
      let b = track.points[(i + 1) % n]
      let ab = b - a
      let len2 = ab.dot(ab)
      let segLength = len2.squareRoot()
      let curvature = abs(track.curvatures[i])
      let x0 = max(Int(((min(a.x, b.x) - band - origin.x) / cellSize).rounded(.down)), 0)
      let x1 = min(Int(((max(a.x, b.x) + band - origin.x) / cellSize).rounded(.up)), width - 1)
      let y0 = max(Int(((min(a.y, b.y) - band - origin.y) / cellSize).rounded(.down)), 0)
      let y1 = min(Int(((max(a.y, b.y) + band - origin.y) / cellSize).rounded(.up)), height - 1)
      guard x0 <= x1, y0 <= y1 else { continue }
      for iy in y0...y1 {
        let y = origin.y + (Double(iy) + 0.5) * cellSize
        for ix in x0...x1 {
          let x = origin.x + (Double(ix) + 0.5) * cellSize
          let p = Vec2(x: x, y: y)
          let t = len2 > 0 ? min(max((p - a).dot(ab) / len2, 0), 1) : 0
          let q = a + ab * t
          let d = (p - q).length
          let k = iy * width + ix
          guard d < band, Float(d) < nearest[k] else { continue }
          nearest[k] = Float(d)
          let s = track.arcLength[i] + t * segLength
          texels[k] = GroundMap.roadColor(
            spec: spec, palette: palette, distance: d, s: s, curvature: curvature, x, y)
        }
      }
    }

    var levels = [Level(width: width, height: height, cellSize: cellSize, texels: texels)]
    while levels.count < mipLevels, let last = levels.last, last.width >= 4, last.height >= 4 {
      levels.append(GroundMap.downsample(last))
    }
    self.levels = levels
    outside = palette.surface(spec.style.ground, 0, 0)
  }

  static func groundColor(spec: TrackSpec, palette: Palette, _ x: Double, _ y: Double) -> UInt32 {
    for r in spec.regions {
      let d = (Vec2(x: x, y: y) - Vec2(x: r.center[0], y: r.center[1])).length
      guard d < r.radius else { continue }
      // Water gets a sandy shore; other patches fade into the ground at their rim.
      if r.surface == .water, d > r.radius - 1.5 { return palette.surface(.sand, x, y) }
      let rim = Float((r.radius - d) / 1.5)
      let inner = palette.surface(r.surface, x, y)
      return rim >= 1 ? inner : mixRGB(palette.surface(spec.style.ground, x, y), inner, rim)
    }
    return palette.surface(spec.style.ground, x, y)
  }

  /// Colour at `distance` metres from the centre line, `s` metres along the lap.
  static func roadColor(
    spec: TrackSpec, palette: Palette, distance d: Double, s: Double, curvature: Double,
    _ x: Double, _ y: Double
  ) -> UInt32 {
    let half = spec.roadWidth / 2
    let style = spec.style
    if d < half {
      if style.centerLine, d < 0.08, s.truncatingRemainder(dividingBy: 9) < 3 {
        return palette.paint("white", x, y)
      }
      if style.edgeLines != "none", d > half - 0.45, d < half - 0.25 {
        return palette.paint(style.edgeLines, x, y)
      }
      return palette.surface(.asphalt, x, y)
    }
    var verge = d - half
    if style.kerbRadius > 0, curvature > 1 / style.kerbRadius {
      if verge < kerbWidth {
        let stripe = Int((s / 1.2).rounded(.down)) & 1
        return palette.paint(stripe == 0 ? "red" : "white", x, y)
      }
      verge -= kerbWidth
    }
    if verge < vergeWidth {
      let shoulder = palette.surface(style.shoulder, x, y)
      // The verge frays into the ground with noise so the boundary is not a ruled line.
      let fray = Float(verge / vergeWidth) + 0.5 * (palette.patch(x, y, scale: 0.7, salt: 9) - 0.5)
      if fray < 0.6 { return shoulder }
      return mixRGB(shoulder, groundColor(spec: spec, palette: palette, x, y), min((fray - 0.6) * 2.5, 1))
    }
    return groundColor(spec: spec, palette: palette, x, y)
  }

  /// 2x2 box filter.
  static func downsample(_ l: Level) -> Level {
    let w = l.width / 2
    let h = l.height / 2
    var out = [UInt32](repeating: 0, count: w * h)
    l.texels.withUnsafeBufferPointer { src in
      for y in 0..<h {
        for x in 0..<w {
          let i = 2 * y * l.width + 2 * x
          let a = src[i]
          let b2 = src[i + 1]
          let c = src[i + l.width]
          let d = src[i + l.width + 1]
          let r = (a & 0xFF) + (b2 & 0xFF) + (c & 0xFF) + (d & 0xFF)
          let g = (a >> 8 & 0xFF) + (b2 >> 8 & 0xFF) + (c >> 8 & 0xFF) + (d >> 8 & 0xFF)
          let b = (a >> 16 & 0xFF) + (b2 >> 16 & 0xFF) + (c >> 16 & 0xFF) + (d >> 16 & 0xFF)
          out[y * w + x] = (r + 2) / 4 | ((g + 2) / 4) << 8 | ((b + 2) / 4) << 16
        }
      }
    }
    return Level(width: w, height: h, cellSize: l.cellSize * 2, texels: out)
  }

  /// Nearest texel of `level` at world (x, y); `outside` beyond the map.
  @inline(__always)
  func sample(level: Int, _ x: Double, _ y: Double) -> UInt32 {
    let l = levels[level]
    let ix = Int(((x - origin.x) / l.cellSize).rounded(.down))
    let iy = Int(((y - origin.y) / l.cellSize).rounded(.down))
    guard ix >= 0, iy >= 0, ix < l.width, iy < l.height else { return outside }
    return l.texels[iy * l.width + ix]
  }
}

/// A raw pointer handed to parallel workers that write disjoint elements.
private struct SendablePointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt32>
}
