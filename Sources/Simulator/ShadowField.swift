// Cloud shadows drifting over the ground: one of the test-time conditions (`--conditions`). Baked
// once into a small wrapping texture of brightness factors, read per ground pixel by world position.
import Foundation

/// Soft-edged shadow patches in world coordinates that move with the wind.
public struct ShadowField: Sendable {
  static let size = 256
  /// Metres per texel: the pattern repeats every 512 m.
  static let cell = 2.0
  /// Brightness factor per texel, 256 = full light.
  let factors: [UInt32]
  /// Wind (m/s): the pattern's drift.
  public let drift: Vec2

  /// - Parameters:
  ///   - depth: how much a full shadow darkens (0.45: to 55% brightness).
  ///   - cover: share of the ground in shadow, roughly.
  public init(seed: UInt64, depth: Double = 0.45, cover: Double = 0.35, drift: Vec2 = Vec2(x: 3, y: 1.5)) {
    let salt = UInt32(truncatingIfNeeded: seed &* 0x9E37_79B9_7F4A_7C15 >> 32)
    // Clouds some 20-40 m across; the lattice wraps with the texture so its edges join.
    var noise = [Float](repeating: 0, count: Self.size * Self.size)
    for iy in 0..<Self.size {
      for ix in 0..<Self.size {
        noise[iy * Self.size + ix] =
          0.7 * Self.noise(ix, iy, spacing: 16, salt: salt) + 0.3
          * Self.noise(ix, iy, spacing: 8, salt: salt &+ 1)
      }
    }
    // The threshold that leaves `cover` of the ground darker than half the depth.
    let sorted = noise.sorted()
    let threshold = sorted[min(Int(Double(sorted.count) * (1 - cover)), sorted.count - 1)]
    let factors = noise.map { n -> UInt32 in
      let t = min(max((n - threshold + 0.04) / 0.08, 0), 1)
      let shade = t * t * (3 - 2 * t)
      return UInt32((256 * (1 - depth * Double(shade))).rounded())
    }
    self.factors = factors
    self.drift = drift
  }

  /// Value noise on a lattice every `spacing` texels that wraps at `size`, smoothstep-interpolated.
  static func noise(_ x: Int, _ y: Int, spacing: Int, salt: UInt32) -> Float {
    let cells = Int32(size / spacing)
    let (cx, cy) = (Int32(x / spacing), Int32(y / spacing))
    var tx = Float(x % spacing) / Float(spacing)
    var ty = Float(y % spacing) / Float(spacing)
    tx = tx * tx * (3 - 2 * tx)
    ty = ty * ty * (3 - 2 * ty)
    func v(_ a: Int32, _ b: Int32) -> Float { Float(latticeHash(a % cells, b % cells, salt) >> 8) * 0x1p-24 }
    let top = v(cx, cy) + (v(cx + 1, cy) - v(cx, cy)) * tx
    let bottom = v(cx, cy + 1) + (v(cx + 1, cy + 1) - v(cx, cy + 1)) * tx
    return top + (bottom - top) * ty
  }

  /// Brightness factor (0...256) at world point (x, y) at simulated `time`.
  @inline(__always)
  func factor(_ x: Double, _ y: Double, time: Double) -> UInt32 {
    let ix = Int(((x - drift.x * time) / Self.cell).rounded(.down)) & (Self.size - 1)
    let iy = Int(((y - drift.y * time) / Self.cell).rounded(.down)) & (Self.size - 1)
    return factors[iy * Self.size + ix]
  }
}
