// The sky and everything beyond the ground texture, baked into a 360-degree panorama indexed by
// (elevation, azimuth): a gradient sky with clouds, a far ridge of hills or mountains, a tree line
// (the canyon's rock walls and mesas are in CanyonScenery.swift).
import Foundation
import TensorCore

/// A cylindrical panorama: `width` azimuth columns over 2 pi, `height` rows from `minElevation`
/// up to `maxElevation` (radians above the horizon). Texels are packed 0x00BBGGRR.
final class Panorama: Sendable {
  static let width = 2048
  static let height = 192
  static let minElevation = -0.06
  static let maxElevation = 0.34
  let texels: [UInt32]
  /// Colour of the horizon haze, which distant ground fades into.
  let haze: UInt32

  init(scenery: String, seed: UInt64) {
    if scenery == "canyon" {
      let canyon = Panorama.canyon(seed: seed)
      texels = canyon.texels
      haze = canyon.haze
      return
    }
    let w = Panorama.width
    let h = Panorama.height
    let s = UInt32(truncatingIfNeeded: seed &* 0x9E37_79B9 ^ 0x5BD1)
    let jungle = scenery == "jungle"
    haze = jungle ? packRGB(178, 192, 196) : packRGB(196, 210, 222)
    var out = [UInt32](repeating: 0, count: w * h)
    for col in 0..<w {
      let az = 2 * Double.pi * Double(col) / Double(w)
      // Sample noise on a circle so the panorama closes seamlessly.
      @inline(__always) func ring(_ radius: Double, _ salt: UInt32, octaves: Int) -> Float {
        fractalNoise(
          Float(cos(az) * radius) + 50, Float(sin(az) * radius) + 50, octaves: octaves, seed: s &+ salt)
      }
      let ridge =
        jungle
        ? 0.035 + 0.13 * Double(ring(6, 1, octaves: 5))
        : 0.012 + 0.05 * Double(ring(4, 1, octaves: 4))
      var trees =
        jungle
        ? 0.03 + 0.05 * Double(ring(40, 2, octaves: 3))
        : 0.004 + 0.006 * Double(ring(30, 2, octaves: 2))
      if !jungle {
        // Scattered trees: a crown every so often, height and width from the column's hash.
        let cell = col / 24
        let h0 = latticeHash(Int32(cell), 7, s)
        if h0 % 3 == 0 {
          let centre = cell * 24 + 4 + Int(h0 >> 8 % 16)
          let halfWidth = 3.0 + Double((h0 >> 16) % 5)
          let dx = Double(col - centre) / halfWidth
          if abs(dx) < 1 {
            trees = max(trees, (0.025 + 0.02 * Double(h0 >> 24) / 255) * (1 - dx * dx).squareRoot())
          }
        }
      }
      let leaf = ring(400, 4, octaves: 2)
      let rock = ring(120, 5, octaves: 3)
      for row in 0..<h {
        let e =
          Panorama.minElevation
          + (Panorama.maxElevation - Panorama.minElevation) * (Double(row) + 0.5) / Double(h)
        let texel: UInt32
        let g = Float(latticeHash(Int32(col), Int32(row), s &+ 3) >> 8) * 0x1p-24 - 0.5
        if e < 0 {
          texel = haze
        } else if e < trees {
          texel =
            jungle
            ? packRGB(28 + 20 * leaf + 8 * g, 58 + 30 * leaf + 10 * g, 30 + 12 * leaf + 6 * g)
            : packRGB(44 + 20 * leaf + 8 * g, 76 + 28 * leaf + 10 * g, 40 + 10 * leaf + 6 * g)
        } else if e < ridge {
          // Farther slopes are hazier: blend toward the haze with height above the tree line.
          let base =
            jungle
            ? packRGB(88 + 30 * rock, 104 + 26 * rock, 108 + 20 * rock)
            : packRGB(92 + 30 * rock, 132 + 26 * rock, 80 + 16 * rock)
          texel = mixRGB(base, haze, Float(0.35 + 0.4 * (ridge - e) / max(ridge, 1e-3)))
        } else {
          let t = Float(min(e / Panorama.maxElevation, 1))
          let sky = mixRGB(haze, jungle ? packRGB(104, 150, 200) : packRGB(86, 142, 214), t.squareRoot())
          let cloud = fractalNoise(
            Float(cos(az) * 5) + 9, Float(sin(az) * 5) + Float(e * 40), octaves: 4, seed: s &+ 6)
          let cover = max(cloud - 0.52, 0) * 3.5
          texel = mixRGB(sky, packRGB(240, 242, 246), min(cover, 0.9))
        }
        out[row * w + col] = texel
      }
    }
    texels = out
  }
}

/// Global lighting applied after rendering, as one lookup table per channel.
public struct Lighting: Sendable, Hashable {
  /// Multiplies every channel (1 = as baked).
  public var brightness: Double
  /// Shifts red up and blue down (positive: low sun, warm), in fractions of a channel.
  public var warmth: Double
  /// Contrast around mid-grey (1 = as baked).
  public var contrast: Double

  public init(brightness: Double, warmth: Double, contrast: Double) {
    self.brightness = brightness
    self.warmth = warmth
    self.contrast = contrast
  }

  public static let noon = Lighting(brightness: 1, warmth: 0, contrast: 1)
  public static let presets: [String: Lighting] = [
    "noon": .noon,
    "morning": Lighting(brightness: 0.9, warmth: 0.06, contrast: 0.95),
    "evening": Lighting(brightness: 0.7, warmth: 0.12, contrast: 1.1),
    "overcast": Lighting(brightness: 0.85, warmth: -0.04, contrast: 0.75),
  ]

  /// A random lighting drawn from `rng`: brightness 0.6...1.15, warmth -0.05...0.12, contrast 0.75...1.15.
  package static func random(_ rng: inout SplitMix64) -> Lighting {
    Lighting(
      brightness: Double(rng.nextFloat(in: 0.6, 1.15)), warmth: Double(rng.nextFloat(in: -0.05, 0.12)),
      contrast: Double(rng.nextFloat(in: 0.75, 1.15)))
  }

  var isIdentity: Bool { self == .noon }

  /// Per-channel tables: out = lut[channel][in].
  func tables() -> [[UInt8]] {
    (0..<3).map { channel in
      let shift = channel == 0 ? warmth : channel == 2 ? -warmth : 0
      return (0..<256).map { v in
        let x = (Double(v) / 255 - 0.5) * contrast + 0.5
        let y = (x * brightness + shift) * 255
        return UInt8(min(max(y.rounded(), 0), 255))
      }
    }
  }
}
