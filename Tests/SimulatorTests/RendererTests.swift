import DrivingData
import Foundation
import TensorCore
import Testing

@testable import Simulator

@Suite struct RendererTests {
  /// A stadium: two 200 m straights joined by 40 m half circles, no kerbs, grass around.
  static let stadium: Track = {
    var points: [[Double]] = []
    for i in 0..<9 { points.append([-100 + 25 * Double(i), -40]) }
    for i in 1..<8 {
      let a = -Double.pi / 2 + Double.pi * Double(i) / 8
      points.append([100 + 40 * cos(a), 40 * sin(a)])
    }
    for i in 0..<9 { points.append([100 - 25 * Double(i), 40]) }
    for i in 1..<8 {
      let a = Double.pi / 2 + Double.pi * Double(i) / 8
      points.append([-100 + 40 * cos(a), 40 * sin(a)])
    }
    let style = TrackStyle(
      edgeLines: "white", centerLine: false, kerbRadius: 0, shoulder: .grass, ground: .grass, scenery: "hills"
    )
    return try! Track(
      spec: TrackSpec(name: "stadium", roadWidth: 8, controlPoints: points, style: style, textureSeed: 5))
  }()

  static let renderer = Renderer(track: stadium, mapCellSize: 0.2)

  /// The car centred on the straight at x = `x` (travelling +x along y = -40), `offset` metres left.
  static func onStraight(x: Double = -40, offset: Double = 0, heading: Double = 0) -> VehicleState {
    VehicleState(position: Vec2(x: x, y: -40 + offset), heading: heading, speed: 10)
  }

  /// Columns of bright, unsaturated (white paint) pixels in `row`.
  static func whiteColumns(_ frame: [UInt8], row: Int) -> [Int] {
    (0..<320).filter { u in
      let i = 3 * (row * 320 + u)
      let r = Int(frame[i])
      let g = Int(frame[i + 1])
      let b = Int(frame[i + 2])
      return min(r, g, b) > 185 && max(r, g, b) - min(r, g, b) < 30
    }
  }

  @Test func renderingIsDeterministic() {
    let state = Self.onStraight(x: 12.3, offset: 0.7, heading: 0.2)
    let a = Self.renderer.render(.center, state: state)
    let b = Self.renderer.render(.center, state: state)
    let other = Renderer(track: Self.stadium, mapCellSize: 0.2)
    #expect(a == b)
    #expect(a == other.render(.center, state: state))
    #expect(a.count == 320 * 160 * 3)
  }

  @Test func roadIsSymmetricFromTheCentreLineOnAStraight() {
    let frame = Self.renderer.render(.center, state: Self.onStraight())
    var rowsChecked = 0
    // Rows between the horizon (about row 53) and the bonnet (row 144).
    for row in 70..<140 {
      let white = Self.whiteColumns(frame, row: row)
      let left = white.filter { $0 < 160 }
      let right = white.filter { $0 >= 160 }
      guard !left.isEmpty, !right.isEmpty else { continue }
      let l = Double(left.reduce(0, +)) / Double(left.count)
      let r = Double(right.reduce(0, +)) / Double(right.count)
      // Mirror image: column u maps to 319 - u.
      #expect(abs(l - (319 - r)) < 0.75, "row \(row): left line at \(l), right line at \(r)")
      rowsChecked += 1
    }
    #expect(rowsChecked > 35)
  }

  @Test func sideCamerasSeeTheRoadShifted() {
    let state = Self.onStraight()
    func roadMiddle(_ camera: Camera) -> Double {
      let white = Self.whiteColumns(Self.renderer.render(camera, state: state), row: 80)
      return Double(white.min()! + white.max()!) / 2
    }
    // The left camera sits left of the centre line, so the road appears to its right.
    #expect(abs(roadMiddle(.center) - 159.5) < 1)
    #expect(roadMiddle(.left) > roadMiddle(.center) + 10)
    #expect(roadMiddle(.right) < roadMiddle(.center) - 10)
  }

  @Test func fastPathAgreesWithTheReference() throws {
    let lake = try Track(named: "lake")
    let renderer = Renderer(track: lake, mapCellSize: 0.25)
    for (s, camera) in [(0.0, Camera.center), (250, .left), (600, .right)] {
      let (p, heading) = lake.pose(at: s)
      let state = VehicleState(position: p, heading: heading + 0.1)
      let fast = renderer.render(camera, state: state, lighting: Lighting.presets["evening"]!)
      let slow = renderer.renderReference(camera, state: state, lighting: Lighting.presets["evening"]!)
      // Incremental texture coordinates can land on the neighbouring texel at a texel boundary.
      let close = zip(fast, slow).filter { abs(Int($0) - Int($1)) <= 2 }.count
      #expect(Double(close) / Double(fast.count) > 0.995)
    }
  }

  @Test func lightingChangesBrightness() {
    let state = Self.onStraight()
    func mean(_ frame: [UInt8]) -> Double { Double(frame.reduce(0) { $0 + Int($1) }) / Double(frame.count) }
    let noon = mean(Self.renderer.render(.center, state: state))
    let evening = mean(Self.renderer.render(.center, state: state, lighting: Lighting.presets["evening"]!))
    #expect(evening < noon - 20)
  }

  @Test func skyAboveGroundBelow() {
    let frame = Self.renderer.render(.center, state: Self.onStraight())
    // Top rows: blue dominates; just below the horizon, ground (not sky blue); bottom: the dark bonnet.
    let top = 3 * (5 * 320 + 160)
    #expect(frame[top + 2] > frame[top])
    let hood = 3 * (158 * 320 + 160)
    #expect(frame[hood] < 110 && frame[hood + 1] < 110)
    let road = 3 * (120 * 320 + 160)
    #expect(abs(Int(frame[road]) - Int(frame[road + 2])) < 20)  // grey asphalt
  }
}
