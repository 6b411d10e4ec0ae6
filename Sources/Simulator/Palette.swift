// Surface colours and their procedural grain. Colours are packed 0x00BBGGRR in a UInt32 texel.
import Foundation

@inline(__always)
func packRGB(_ r: Float, _ g: Float, _ b: Float) -> UInt32 {
  @inline(__always) func q(_ v: Float) -> UInt32 { UInt32(min(max(v, 0), 255).rounded()) }
  return q(r) | q(g) << 8 | q(b) << 16
}

@inline(__always)
func unpackRGB(_ c: UInt32) -> (Float, Float, Float) {
  (Float(c & 0xFF), Float((c >> 8) & 0xFF), Float((c >> 16) & 0xFF))
}

/// Linear blend of two packed colours, `t` in 0...1.
@inline(__always)
func mixRGB(_ a: UInt32, _ b: UInt32, _ t: Float) -> UInt32 {
  let (ar, ag, ab) = unpackRGB(a)
  let (br, bg, bb) = unpackRGB(b)
  return packRGB(ar + (br - ar) * t, ag + (bg - ag) * t, ab + (bb - ab) * t)
}

/// Procedural surface colours for one track seed.
struct Palette: Sendable {
  let seed: UInt32

  init(seed: UInt64) { self.seed = UInt32(truncatingIfNeeded: seed ^ (seed >> 32)) }

  /// Per-texel grain in -1...1 from the world position quantized to 10 cm (independent of map resolution).
  @inline(__always)
  func grain(_ x: Double, _ y: Double, salt: UInt32) -> Float {
    let h = latticeHash(
      Int32(truncatingIfNeeded: Int((x * 10).rounded(.down))),
      Int32(truncatingIfNeeded: Int((y * 10).rounded(.down))), seed &+ salt)
    return Float(h >> 8) * 0x1p-23 - 1
  }

  /// Large soft patches in 0...1 (a few metres across).
  @inline(__always)
  func patch(_ x: Double, _ y: Double, scale: Double, salt: UInt32) -> Float {
    valueNoise(Float(x / scale), Float(y / scale), seed: seed &+ salt)
  }

  func surface(_ s: Surface, _ x: Double, _ y: Double) -> UInt32 {
    let g = grain(x, y, salt: 1)
    switch s {
    case .asphalt:
      let p = patch(x, y, scale: 4, salt: 2)
      let v: Float = 84 + 10 * p + 9 * g
      return packRGB(v, v, v + 4)
    case .grass:
      let p = patch(x, y, scale: 7, salt: 3)
      let q = patch(x, y, scale: 1.5, salt: 4)
      return packRGB(62 + 30 * p + 10 * q + 10 * g, 96 + 34 * p + 14 * q + 14 * g, 40 + 12 * p + 8 * g)
    case .dirt:
      let p = patch(x, y, scale: 3, salt: 5)
      return packRGB(136 + 24 * p + 12 * g, 106 + 18 * p + 10 * g, 72 + 12 * p + 8 * g)
    case .sand:
      let p = patch(x, y, scale: 2, salt: 6)
      return packRGB(196 + 14 * p + 8 * g, 180 + 12 * p + 8 * g, 132 + 10 * p + 6 * g)
    case .water:
      // Ripples: stretched noise, brighter crests.
      let r = valueNoise(Float(x / 0.8), Float(y / 3.0), seed: seed &+ 7)
      return packRGB(40 + 22 * r + 4 * g, 78 + 28 * r + 4 * g, 112 + 30 * r + 4 * g)
    case .gravel:
      // Coarse stones: strong per-texel grain over soft patches, a few dark pebbles.
      let p = patch(x, y, scale: 2.5, salt: 10)
      let pebble: Float = grain(x, y, salt: 11) > 0.8 ? -34 : 0
      return packRGB(
        150 + 18 * p + 22 * g + pebble, 136 + 16 * p + 20 * g + pebble, 116 + 12 * p + 18 * g + pebble)
    case .rock:
      // Sandstone: large warm patches with darker streaks where two noise fields cross.
      let p = patch(x, y, scale: 9, salt: 12)
      let q = patch(x, y, scale: 1.8, salt: 13)
      let streak: Float = abs(p - q) < 0.05 ? -26 : 0
      return packRGB(
        162 + 34 * p + 12 * q + 8 * g + streak, 92 + 22 * p + 8 * q + 6 * g + streak,
        58 + 14 * p + 6 * q + 5 * g + streak)
    }
  }

  func paint(_ name: String, _ x: Double, _ y: Double) -> UInt32 {
    let g = grain(x, y, salt: 8)
    switch name {
    case "yellow": return packRGB(214 + 8 * g, 178 + 8 * g, 48 + 6 * g)
    case "red": return packRGB(190 + 8 * g, 40 + 6 * g, 36 + 6 * g)
    default: return packRGB(226 + 8 * g, 226 + 8 * g, 220 + 8 * g)
    }
  }
}
