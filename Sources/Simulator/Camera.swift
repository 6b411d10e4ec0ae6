// The car's three cameras and the per-row / per-column tables the renderer precomputes for them.
import DrivingData
import Foundation
import TensorCore

/// Geometry shared by the three cameras (defaults chosen to look like the Udacity car's images:
/// horizon about a third of the way down, the bonnet in the bottom tenth).
public struct CameraRig: Sendable, Hashable {
  public var width = 320
  public var height = 160
  public var horizontalFovDegrees = 80.0
  /// Lens height above the road (m).
  public var heightAboveGround = 1.45
  /// Downward tilt (degrees).
  public var pitchDegrees = 8.0
  /// Lens position ahead of the rear axle (m).
  public var forwardOffset = 1.8
  /// Sideways offset of the left and right cameras from the centre one (m).
  public var sideOffset = 0.8
  /// Draws the car's bonnet at the bottom of the image.
  public var drawHood = true

  public init() {}

  /// Focal length in pixels.
  public var focal: Double { Double(width) / 2 / tan(horizontalFovDegrees * .pi / 360) }

  /// Where `camera` sits and looks for a car in `state`: (lens position, heading).
  public func pose(_ camera: Camera, state: VehicleState) -> Vec2 {
    let lateral: Double =
      switch camera {
      case .center: 0
      case .left: -sideOffset
      case .right: sideOffset
      }
    return state.position + state.forward * forwardOffset + state.right * lateral
  }
}

/// Per-row and per-column constants of one rig: the ground ray of every row, fog, mip level,
/// the sky row in the panorama, each column's angle, and the bonnet outline.
struct CameraTables: Sendable {
  /// Row ray hits the ground at forward distance `rowForward` with lateral metres per unit of
  /// column slope `rowLateral`; rows at or above the horizon have `rowForward` = 0.
  let rowForward: [Double]
  let rowLateral: [Double]
  /// Fog weight 0...256 toward the haze.
  let rowFog: [UInt32]
  let rowLevel: [Int]
  /// Panorama row for sky rows.
  let rowSky: [Int]
  /// Column slope x = (u + 0.5 - cx) / f.
  let columnSlope: [Double]
  /// Column angle to the right of the optical axis, in panorama columns.
  let columnAzimuth: [Double]
  /// First bonnet row of each column, per camera (index by Camera.rawValue); `height` = no bonnet.
  let hoodStart: [[Int]]

  static let fogDistance = 260.0

  init(rig: CameraRig, cellSize: Double, levels: Int) {
    let f = rig.focal
    let pitch = rig.pitchDegrees * .pi / 180
    let cy = Double(rig.height) / 2
    let cx = Double(rig.width) / 2
    var forward = [Double](repeating: 0, count: rig.height)
    var lateral = [Double](repeating: 0, count: rig.height)
    var fog = [UInt32](repeating: 0, count: rig.height)
    var level = [Int](repeating: 0, count: rig.height)
    var sky = [Int](repeating: 0, count: rig.height)
    for v in 0..<rig.height {
      // Ray (x, y, 1) in camera space, y down, rotated by the pitch: up = -sin p - y cos p.
      let y = (Double(v) + 0.5 - cy) / f
      let down = sin(pitch) + y * cos(pitch)
      let ahead = cos(pitch) - y * sin(pitch)
      let elevation = atan2(-down, ahead)
      let skyRow = (elevation - Panorama.minElevation) / (Panorama.maxElevation - Panorama.minElevation)
      sky[v] = min(max(Int(skyRow * Double(Panorama.height)), 0), Panorama.height - 1)
      guard down > 1e-6 else { continue }
      let t = rig.heightAboveGround / down
      let distance = t * ahead
      guard distance < 4000 else { continue }
      forward[v] = distance
      lateral[v] = t
      fog[v] = UInt32((256 * (1 - exp(-distance / CameraTables.fogDistance))).rounded())
      // Texture footprint of one pixel: geometric mean of its width and its depth on the ground.
      let across = t / f
      let yNext = (Double(v) + 1.5 - cy) / f
      let tNext = rig.heightAboveGround / (sin(pitch) + yNext * cos(pitch))
      let depth = abs(distance - tNext * (cos(pitch) - yNext * sin(pitch)))
      let footprint = (across * depth).squareRoot()
      level[v] = min(max(Int(log2(max(footprint / cellSize, 1))), 0), levels - 1)
    }
    rowForward = forward
    rowLateral = lateral
    rowFog = fog
    rowLevel = level
    rowSky = sky
    columnSlope = (0..<rig.width).map { (Double($0) + 0.5 - cx) / f }
    columnAzimuth = columnSlope.map { atan($0) / (2 * .pi) * Double(Panorama.width) }
    hoodStart = Camera.allCases.map { camera in
      guard rig.drawHood else { return [Int](repeating: rig.height, count: rig.width) }
      // The bonnet appears shifted opposite to the camera's sideways offset (seen from 2 m).
      let shift: Double =
        switch camera {
        case .center: 0
        case .left: rig.sideOffset / 2 * f
        case .right: -rig.sideOffset / 2 * f
        }
      let top = Double(rig.height) * 0.9
      return (0..<rig.width).map { u in
        let xn = (Double(u) + 0.5 - cx - shift) / (Double(rig.width) * 0.62)
        guard abs(xn) < 1 else { return rig.height }
        return min(Int((top + Double(rig.height) * 0.12 * xn * xn).rounded()), rig.height)
      }
    }
  }
}
