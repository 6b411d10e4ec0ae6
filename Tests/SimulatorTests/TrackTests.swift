import Foundation
import TensorCore
import Testing

@testable import Simulator

@Suite struct TrackTests {
  /// A circle of radius 50 m: every query has a closed-form answer.
  static func circle(radius: Double = 50, width: Double = 8) throws -> Track {
    let points = (0..<24).map { i -> [Double] in
      let a = 2 * Double.pi * Double(i) / 24
      return [radius * cos(a), radius * sin(a)]
    }
    let style = TrackStyle(
      edgeLines: "white", centerLine: false, kerbRadius: 0, shoulder: .grass, ground: .grass, scenery: "hills"
    )
    return try Track(
      spec: TrackSpec(name: "circle", roadWidth: width, controlPoints: points, style: style, textureSeed: 1))
  }

  @Test func circleLengthAndCurvature() throws {
    let track = try Self.circle()
    #expect(abs(track.length - 2 * .pi * 50) < 0.5)
    // Counter-clockwise: curvature +1/50 everywhere.
    for k in track.curvatures { #expect(abs(k - 1.0 / 50) < 0.002) }
  }

  @Test func crossTrackErrorIsSignedDistance() throws {
    let track = try Self.circle()
    // Inside the circle is to the left of counter-clockwise travel.
    let inside = track.locate(Vec2(x: 0, y: 47))
    #expect(abs(inside.lateral - 3) < 0.02)
    let outside = track.locate(Vec2(x: -52, y: 0))
    #expect(abs(outside.lateral + 2) < 0.02)
    // Progress: the point at 90 degrees is a quarter lap along.
    #expect(abs(inside.s - track.length / 4) < 0.5)
    #expect(abs(outside.s - track.length / 2) < 0.5)
  }

  @Test func hintedSearchAgreesWithFullSearch() throws {
    let track = try Track(spec: TrackLibrary.jungle)
    var rng = SplitMix64(seed: 3)
    for _ in 0..<200 {
      let s = Double(rng.nextFloat(in: 0, Float(track.length)))
      let (p, heading) = track.pose(at: s)
      let q = p + Vec2(heading: heading).leftNormal * Double(rng.nextFloat(in: -5, 5))
      let full = track.locate(q)
      let hinted = track.locate(q, hint: (full.segment + 15) % track.points.count)
      #expect(abs(full.lateral - hinted.lateral) < 1e-9)
    }
  }

  @Test func poseFollowsTheSamples() throws {
    let track = try Track(spec: TrackLibrary.lake)
    for i in stride(from: 0, to: track.points.count, by: 97) {
      let (p, _) = track.pose(at: track.arcLength[i])
      #expect((p - track.points[i]).length < 1e-6)
    }
    // Wraps around the lap in both directions.
    let (a, _) = track.pose(at: 10)
    let (b, _) = track.pose(at: 10 + track.length)
    let (c, _) = track.pose(at: 10 - track.length)
    #expect((a - b).length < 1e-6 && (a - c).length < 1e-6)
  }

  @Test func builtInTracksHaveTheirCharacter() throws {
    let lake = try Track(spec: TrackLibrary.lake)
    let jungle = try Track(spec: TrackLibrary.jungle)
    let lakeMinRadius = 1 / lake.curvatures.map(abs).max()!
    let jungleMinRadius = 1 / jungle.curvatures.map(abs).max()!
    #expect(lakeMinRadius > 25 && lakeMinRadius < 45)
    #expect(jungleMinRadius > 10 && jungleMinRadius < 18)
    // S-bends: curves tighter than 60 m alternate direction more often on the jungle.
    func signChanges(_ k: [Double]) -> Int {
      let turns = k.filter { abs($0) > 1.0 / 60 }.map { $0 > 0 }
      return zip(turns, turns.dropFirst() + [turns[0]]).filter { $0 != $1 }.count
    }
    #expect(signChanges(jungle.curvatures) >= 6)
    #expect(signChanges(jungle.curvatures) > signChanges(lake.curvatures))
    #expect(lake.length > 700 && jungle.length > 600)
  }

  @Test func reversedTrackRunsTheOtherWay() throws {
    let lake = try Track(spec: TrackLibrary.lake)
    let back = try lake.reversed()
    #expect(abs(back.length - lake.length) < 1)
    let (p, h) = lake.pose(at: 0)
    let (q, g) = back.pose(at: 0)
    #expect((p - q).length < 1e-6)
    #expect(abs(abs(wrapAngle(h - g)) - .pi) < 0.05)
  }

  @Test func jsonRoundTripAndErrors() throws {
    let data = try TrackLibrary.jungle.jsonData()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("jungle-\(UUID()).json")
    try data.write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(try TrackSpec.load(from: url) == TrackLibrary.jungle)
    #expect(try Track(named: url.path).length > 600)

    // The committed Tracks/ files are the built-ins.
    let tracks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../Tracks")
    for name in TrackLibrary.names {
      #expect(
        try TrackSpec.load(from: tracks.appendingPathComponent("\(name).json"))
          == TrackLibrary.spec(named: name))
    }

    try Data("{\"name\": 3}".utf8).write(to: url)
    #expect(throws: SimulatorError.self) { try TrackSpec.load(from: url) }
    #expect(throws: SimulatorError.self) { try TrackSpec.load(from: url.appendingPathExtension("missing")) }
    #expect(throws: SimulatorError.unknownTrack("moon")) { try Track(named: "moon") }
    var bad = TrackLibrary.lake
    bad.controlPoints = [[0, 0], [1, 1], [2]]
    #expect(throws: SimulatorError.self) { try Track(spec: bad) }
    bad = TrackLibrary.lake
    bad.roadWidth = 100
    #expect(throws: SimulatorError.self) { try Track(spec: bad) }
    // A figure of eight crosses itself.
    bad.roadWidth = 8
    bad.controlPoints = (0..<32).map { i in
      let a = 2 * Double.pi * Double(i) / 32
      return [100 * sin(a), 60 * sin(2 * a)]
    }
    #expect(throws: SimulatorError.self) { try Track(spec: bad) }
  }
}
