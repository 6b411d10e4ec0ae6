// The canyon background: banded red sandstone walls close by, flat-topped mesas and buttes behind
// them fading into a warm dust haze, a deep blue sky with few clouds.
import Foundation

extension Panorama {
  /// Texels (Panorama.height x Panorama.width, packed 0x00BBGGRR) and the haze colour of a canyon.
  static func canyon(seed: UInt64) -> (texels: [UInt32], haze: UInt32) {
    let w = Panorama.width
    let h = Panorama.height
    let s = UInt32(truncatingIfNeeded: seed &* 0x9E37_79B9 ^ 0x5BD1)
    let haze = packRGB(226, 204, 178)
    var out = [UInt32](repeating: 0, count: w * h)
    @inline(__always) func smoothstep(_ a: Double, _ b: Double, _ x: Double) -> Double {
      let t = min(max((x - a) / (b - a), 0), 1)
      return t * t * (3 - 2 * t)
    }
    for col in 0..<w {
      let az = 2 * Double.pi * Double(col) / Double(w)
      // Noise sampled on a circle so the panorama closes seamlessly.
      @inline(__always) func ring(_ radius: Double, _ salt: UInt32, octaves: Int) -> Double {
        Double(
          fractalNoise(
            Float(cos(az) * radius) + 50, Float(sin(az) * radius) + 50, octaves: octaves, seed: s &+ salt))
      }
      // Mesas: a steep threshold of smooth noise gives flat tops and near-vertical sides.
      let mesa = smoothstep(0.5, 0.54, ring(5, 1, octaves: 4))
      let far = 0.018 + 0.03 * ring(3, 7, octaves: 3) + 0.1 * mesa * (0.85 + 0.15 * ring(40, 8, octaves: 2))
      // Near walls: lower, ragged, in front of the mesas.
      let wall = 0.01 + 0.07 * pow(ring(14, 2, octaves: 4), 2.2)
      let strataShift = ring(60, 9, octaves: 2)
      for row in 0..<h {
        let e =
          Panorama.minElevation
          + (Panorama.maxElevation - Panorama.minElevation) * (Double(row) + 0.5) / Double(h)
        let g = Float(latticeHash(Int32(col), Int32(row), s &+ 3) >> 8) * 0x1p-24 - 0.5
        // Horizontal strata: bands in elevation, wavering a little along the azimuth.
        let band = Float(sin(e * 300 + 6 * strataShift))
        let texel: UInt32
        if e < 0 {
          texel = haze
        } else if e < wall {
          texel = packRGB(150 + 18 * band + 10 * g, 74 + 10 * band + 6 * g, 44 + 6 * band + 4 * g)
        } else if e < far {
          let base = packRGB(184 + 16 * band + 6 * g, 104 + 10 * band + 4 * g, 66 + 6 * band + 3 * g)
          texel = mixRGB(base, haze, Float(0.3 + 0.35 * (far - e) / max(far, 1e-3)))
        } else {
          let t = Float(min(e / Panorama.maxElevation, 1))
          let sky = mixRGB(haze, packRGB(72, 128, 206), t.squareRoot())
          let cloud = fractalNoise(
            Float(cos(az) * 5) + 9, Float(sin(az) * 5) + Float(e * 40), octaves: 4, seed: s &+ 6)
          let cover = max(cloud - 0.6, 0) * 3
          texel = mixRGB(sky, packRGB(244, 240, 236), min(cover, 0.8))
        }
        out[row * w + col] = texel
      }
    }
    return (out, haze)
  }
}
