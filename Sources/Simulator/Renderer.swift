import DrivingData
// The software renderer: each pixel below the horizon casts a ray onto the flat ground and reads the
// baked ground texture; each pixel above reads the sky panorama. Per-row and per-column tables make
// a pixel a few adds and one lookup.
import Foundation
import TensorCore

/// Renders 320x160 RGB frames (row-major, 3 bytes a pixel) of one track from the car's cameras.
public final class Renderer: Sendable {
  public let track: Track
  public let rig: CameraRig
  let ground: GroundMap
  let panorama: Panorama
  let tables: CameraTables
  let mapCellSize: Double

  public var frameBytes: Int { rig.width * rig.height * 3 }

  /// - Parameter mapCellSize: ground texture resolution in metres (0.1 looks sharp; coarser builds faster).
  public init(track: Track, rig: CameraRig = CameraRig(), mapCellSize: Double = 0.1) {
    self.track = track
    self.rig = rig
    ground = GroundMap(track: track, cellSize: mapCellSize)
    panorama = Panorama(scenery: track.spec.style.scenery, seed: track.spec.textureSeed)
    tables = CameraTables(rig: rig, cellSize: mapCellSize, levels: ground.levels.count)
    self.mapCellSize = mapCellSize
  }

  /// A new frame of `camera` for a car in `state`, with test-time `effects` (none by default).
  public func render(
    _ camera: Camera, state: VehicleState, lighting: Lighting = .noon, effects: FrameEffects = FrameEffects()
  ) -> [UInt8] {
    var frame = [UInt8](repeating: 0, count: frameBytes)
    frame.withUnsafeMutableBufferPointer {
      render(camera, state: state, lighting: lighting, effects: effects, into: $0)
    }
    return frame
  }

  /// A new frame as an image, with test-time `effects` (none by default).
  public func image(
    _ camera: Camera, state: VehicleState, lighting: Lighting = .noon, effects: FrameEffects = FrameEffects()
  ) -> RGBImage {
    RGBImage(
      uncheckedWidth: rig.width, height: rig.height,
      pixels: render(camera, state: state, lighting: lighting, effects: effects))
  }

  /// Renders into `out`, which holds at least `frameBytes` bytes.
  // out: (height, width, 3) uint8 RGB
  public func render(
    _ camera: Camera, state: VehicleState, lighting: Lighting = .noon, effects: FrameEffects = FrameEffects(),
    into out: UnsafeMutableBufferPointer<UInt8>
  ) {
    precondition(out.count >= frameBytes, "frame buffer too small")
    // A jittered camera pitch needs its own row tables (a few hundred trig calls, not per pixel).
    var tables = self.tables
    if effects.pitchOffsetDegrees != 0 {
      var pitched = rig
      pitched.pitchDegrees += effects.pitchOffsetDegrees
      tables = CameraTables(rig: pitched, cellSize: mapCellSize, levels: ground.levels.count)
    }
    let shadows = effects.shadows
    let time = effects.time
    let lens = rig.pose(camera, state: state)
    let forward = state.forward
    let right = state.right
    let width = rig.width
    let panoBase = state.heading / (2 * .pi) * Double(Panorama.width)
    let hood = tables.hoodStart[Int(camera.rawValue)]
    let haze = unpackRGB(panorama.haze)
    let hazeR = UInt32(haze.0)
    let hazeG = UInt32(haze.1)
    let hazeB = UInt32(haze.2)
    panorama.texels.withUnsafeBufferPointer { pano in
      for v in 0..<rig.height {
        let row = out.baseAddress! + v * width * 3
        let distance = tables.rowForward[v]
        if distance == 0 {
          // Sky: the panorama column is the heading minus the column's angle to the right.
          let skyRow = pano.baseAddress! + tables.rowSky[v] * Panorama.width
          for u in 0..<width {
            let col = Int((panoBase - tables.columnAzimuth[u]).rounded(.down)) & (Panorama.width - 1)
            store(skyRow[col], row + 3 * u)
          }
        } else {
          let level = ground.levels[tables.rowLevel[v]]
          let inverseCell = 1 / level.cellSize
          let t = tables.rowLateral[v]
          let centre = lens + forward * distance
          // Texture coordinates of column 0 and their step per column.
          var gx = (centre.x + right.x * t * tables.columnSlope[0] - ground.origin.x) * inverseCell
          var gy = (centre.y + right.y * t * tables.columnSlope[0] - ground.origin.y) * inverseCell
          let step = t / rig.focal * inverseCell
          let dx = right.x * step
          let dy = right.y * step
          let fog = tables.rowFog[v]
          let keep = 256 - fog
          let (originX, originY, cell) = (ground.origin.x, ground.origin.y, level.cellSize)
          level.texels.withUnsafeBufferPointer { tex in
            for u in 0..<width {
              let ix = Int(gx.rounded(.down))
              let iy = Int(gy.rounded(.down))
              var c = ground.outside
              if ix >= 0, iy >= 0, ix < level.width, iy < level.height { c = tex[iy * level.width + ix] }
              if let shadows {
                let k = shadows.factor(originX + gx * cell, originY + gy * cell, time: time)
                if k < 256 {
                  c =
                    ((c & 0xFF) * k) >> 8 | ((((c >> 8) & 0xFF) * k) >> 8) << 8
                    | ((((c >> 16) & 0xFF) * k) >> 8) << 16
                }
              }
              if fog > 0 {
                let r = ((c & 0xFF) * keep + hazeR * fog) >> 8
                let g = (((c >> 8) & 0xFF) * keep + hazeG * fog) >> 8
                let b = (((c >> 16) & 0xFF) * keep + hazeB * fog) >> 8
                c = r | g << 8 | b << 16
              }
              store(c, row + 3 * u)
              gx += dx
              gy += dy
            }
          }
        }
        drawHood(row: row, v: v, starts: hood)
      }
    }
    if !lighting.isIdentity { apply(lighting, to: out) }
  }

  @inline(__always)
  private func store(_ c: UInt32, _ p: UnsafeMutablePointer<UInt8>) {
    p[0] = UInt8(truncatingIfNeeded: c)
    p[1] = UInt8(truncatingIfNeeded: c >> 8)
    p[2] = UInt8(truncatingIfNeeded: c >> 16)
  }

  /// The bonnet: dark paint, lighter toward its top edge where it reflects the sky.
  private func drawHood(row: UnsafeMutablePointer<UInt8>, v: Int, starts: [Int]) {
    let top = Int(Double(rig.height) * 0.9)
    guard v >= top else { return }
    for u in 0..<rig.width where v >= starts[u] {
      let fromEdge = v - starts[u]
      let shine = UInt8(max(0, 40 - 12 * fromEdge))
      row[3 * u] = 46 &+ shine
      row[3 * u + 1] = 50 &+ shine
      row[3 * u + 2] = 58 &+ shine
    }
  }

  private func apply(_ lighting: Lighting, to out: UnsafeMutableBufferPointer<UInt8>) {
    let tables = lighting.tables()
    let r = tables[0]
    let g = tables[1]
    let b = tables[2]
    for i in stride(from: 0, to: frameBytes, by: 3) {
      out[i] = r[Int(out[i])]
      out[i + 1] = g[Int(out[i + 1])]
      out[i + 2] = b[Int(out[i + 2])]
    }
  }

  /// Naive reference: the same picture computed pixel by pixel from first principles (one ray,
  /// one texture lookup or one panorama lookup each), without the incremental tables; only the
  /// mip level and fog weight come from the tables. Tests check the fast path against it.
  package func renderReference(_ camera: Camera, state: VehicleState, lighting: Lighting = .noon) -> [UInt8] {
    var frame = [UInt8](repeating: 0, count: frameBytes)
    let lens = rig.pose(camera, state: state)
    let f = rig.focal
    let pitch = rig.pitchDegrees * .pi / 180
    let haze = unpackRGB(panorama.haze)
    for v in 0..<rig.height {
      for u in 0..<rig.width {
        let x = (Double(u) + 0.5 - Double(rig.width) / 2) / f
        let y = (Double(v) + 0.5 - Double(rig.height) / 2) / f
        let down = sin(pitch) + y * cos(pitch)
        let ahead = cos(pitch) - y * sin(pitch)
        let distance = down > 1e-6 ? rig.heightAboveGround / down * ahead : .infinity
        var c: UInt32
        if distance >= 4000 {
          let elevation = atan2(-down, ahead)
          let skyRow = Int(
            (elevation - Panorama.minElevation) / (Panorama.maxElevation - Panorama.minElevation)
              * Double(Panorama.height))
          let azimuth = state.heading - atan(x)
          let col = Int((azimuth / (2 * .pi) * Double(Panorama.width)).rounded(.down)) & (Panorama.width - 1)
          c = panorama.texels[min(max(skyRow, 0), Panorama.height - 1) * Panorama.width + col]
        } else {
          let t = rig.heightAboveGround / down
          let p = lens + state.forward * distance + state.right * (t * x)
          c = ground.sample(level: tables.rowLevel[v], p.x, p.y)
          let w = Float(tables.rowFog[v]) / 256
          let (r, g, b) = unpackRGB(c)
          c = packRGB(
            (r + (haze.0 - r) * w).rounded(.down), (g + (haze.1 - g) * w).rounded(.down),
            (b + (haze.2 - b) * w).rounded(.down))
        }
        let i = 3 * (v * rig.width + u)
        frame[i] = UInt8(c & 0xFF)
        frame[i + 1] = UInt8((c >> 8) & 0xFF)
        frame[i + 2] = UInt8((c >> 16) & 0xFF)
      }
    }
    frame.withUnsafeMutableBufferPointer { buffer in
      let starts = tables.hoodStart[Int(camera.rawValue)]
      for v in 0..<rig.height { drawHood(row: buffer.baseAddress! + v * rig.width * 3, v: v, starts: starts) }
      if !lighting.isIdentity { apply(lighting, to: buffer) }
    }
    return frame
  }
}

/// Per-frame departures from the rig and the world: what `Simulate drive --conditions` varies.
public struct FrameEffects: Sendable {
  /// Added to the rig's pitch (degrees, positive looks further down): a car pitching on bumps.
  public var pitchOffsetDegrees = 0.0
  /// Cloud shadows on the ground, at simulated `time`.
  public var shadows: ShadowField?
  public var time = 0.0

  public init(pitchOffsetDegrees: Double = 0, shadows: ShadowField? = nil, time: Double = 0) {
    self.pitchOffsetDegrees = pitchOffsetDegrees
    self.shadows = shadows
    self.time = time
  }
}
