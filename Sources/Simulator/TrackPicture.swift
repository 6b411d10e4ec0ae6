// A top-down picture of the track with the driven path coloured by its distance from the centre line.
import DrivingData
import Foundation

extension Renderer {
  /// The track seen from above (north up), at most `size` pixels on its long side, with `path`
  /// drawn green (on the centre line) through yellow to red (at the road edge and beyond), and
  /// each intervention marked by a black ring.
  public func topDownPicture(path: [(point: Vec2, cte: Double)], interventions: [Vec2] = [], size: Int = 800)
    -> RGBImage
  {
    let base = ground.levels[0]
    let worldWidth = Double(base.width) * base.cellSize
    let worldHeight = Double(base.height) * base.cellSize
    let scale = Double(size) / max(worldWidth, worldHeight)  // pixels per metre
    let width = max(Int((worldWidth * scale).rounded()), 1)
    let height = max(Int((worldHeight * scale).rounded()), 1)
    let metresPerPixel = 1 / scale
    let level = min(max(Int(log2(metresPerPixel / base.cellSize)), 0), ground.levels.count - 1)
    var image = RGBImage(width: width, height: height)
    for py in 0..<height {
      for px in 0..<width {
        let x = ground.origin.x + (Double(px) + 0.5) * metresPerPixel
        let y = ground.origin.y + (Double(height - py) - 0.5) * metresPerPixel
        let c = ground.sample(level: level, x, y)
        image[x: px, y: py, channel: 0] = UInt8(c & 0xFF)
        image[x: px, y: py, channel: 1] = UInt8((c >> 8) & 0xFF)
        image[x: px, y: py, channel: 2] = UInt8((c >> 16) & 0xFF)
      }
    }
    func plot(_ p: Vec2, radius: Double, color: (UInt8, UInt8, UInt8), ring: Bool = false) {
      let cx = (p.x - ground.origin.x) * scale
      let cy = Double(height) - (p.y - ground.origin.y) * scale
      let r = Int(radius.rounded(.up))
      for dy in -r...r {
        for dx in -r...r {
          let d = (Double(dx * dx + dy * dy)).squareRoot()
          guard d <= radius, !ring || d >= radius - 1.5 else { continue }
          let x = Int(cx) + dx
          let y = Int(cy) + dy
          guard x >= 0, y >= 0, x < width, y < height else { continue }
          image[x: x, y: y, channel: 0] = color.0
          image[x: x, y: y, channel: 1] = color.1
          image[x: x, y: y, channel: 2] = color.2
        }
      }
    }
    let edge = track.halfWidth
    for (point, cte) in path { plot(point, radius: 1.2, color: cteColor(cte / edge)) }
    for p in interventions { plot(p, radius: 6, color: (0, 0, 0), ring: true) }
    return image
  }
}

/// Green at 0, yellow at 0.5, red at 1 and beyond.
func cteColor(_ t: Double) -> (UInt8, UInt8, UInt8) {
  let u = min(max(t, 0), 1)
  if u < 0.5 { return (UInt8(40 + 430 * u), 215, 40) }
  return (255, UInt8(215 - 400 * (u - 0.5)), 40)
}
