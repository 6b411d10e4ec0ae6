// Stateless noise for tracks and textures: hashed lattice values, so a (x, y, seed) always gives
// the same value. Seeded draws (recoveries, lighting, steering noise) use TensorCore's SplitMix64.
import Foundation

/// A stateless integer hash for lattice noise: the same (x, y, seed) always gives the same value.
@inline(__always)
package func latticeHash(_ x: Int32, _ y: Int32, _ seed: UInt32) -> UInt32 {
  var h = UInt32(bitPattern: x) &* 0x8DA6_B343 ^ UInt32(bitPattern: y) &* 0xD816_3841 ^ seed &* 0xCB1A_B31F
  h ^= h >> 15
  h &*= 0x2C1B_3C6D
  h ^= h >> 12
  h &*= 0x297A_2D39
  h ^= h >> 15
  return h
}

/// Smooth value noise in [0, 1): bilinear interpolation of hashed lattice values, smoothstep weights.
package func valueNoise(_ x: Float, _ y: Float, seed: UInt32) -> Float {
  let fx = x.rounded(.down)
  let fy = y.rounded(.down)
  let ix = Int32(fx)
  let iy = Int32(fy)
  var tx = x - fx
  var ty = y - fy
  tx = tx * tx * (3 - 2 * tx)
  ty = ty * ty * (3 - 2 * ty)
  @inline(__always) func v(_ a: Int32, _ b: Int32) -> Float { Float(latticeHash(a, b, seed) >> 8) * 0x1p-24 }
  let a = v(ix, iy) + (v(ix &+ 1, iy) - v(ix, iy)) * tx
  let b = v(ix, iy &+ 1) + (v(ix &+ 1, iy &+ 1) - v(ix, iy &+ 1)) * tx
  return a + (b - a) * ty
}

/// Fractal (fBm) value noise: `octaves` layers, each twice the frequency and half the amplitude.
package func fractalNoise(_ x: Float, _ y: Float, octaves: Int, seed: UInt32) -> Float {
  var sum: Float = 0
  var amplitude: Float = 0.5
  var frequency: Float = 1
  var norm: Float = 0
  for octave in 0..<octaves {
    sum += amplitude * valueNoise(x * frequency, y * frequency, seed: seed &+ UInt32(octave) &* 101)
    norm += amplitude
    amplitude *= 0.5
    frequency *= 2
  }
  return sum / norm
}
