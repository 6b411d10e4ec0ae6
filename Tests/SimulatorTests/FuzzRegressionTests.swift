import Foundation
import Testing

@testable import Simulator

/// Track files and server replies the fuzz targets (Fuzz/, docs/fuzzing.md) found or were built to
/// find: each must be refused with a thrown error (or read as malformed), never trap or hang.
@Suite struct FuzzRegressionTests {
  static func track(points: String, regions: String = "[]", width: String = "8") throws -> Track {
    let json = """
      {"name": "t", "roadWidth": \(width), "controlPoints": \(points), "regions": \(regions), "textureSeed": 1,
       "style": {"edgeLines": "white", "centerLine": true, "kerbRadius": 20, "shoulder": "grass",
                 "ground": "grass", "scenery": "hills"}}
      """
    return try Track(spec: JSONDecoder().decode(TrackSpec.self, from: Data(json.utf8)))
  }

  @Test func squareTrackStillBuilds() throws {
    _ = try Self.track(points: "[[0, 0], [100, 0], [100, 100], [0, 100]]")
  }

  /// Found by FuzzTrackJSON: coordinates near 1e300 overflowed Int(x) in an error message, and
  /// a lap of millions of metres took minutes and gigabytes to sample.
  @Test func hugeOrDistantTracksAreRefused() {
    let cases: [(String, String)] = [
      ("[[0, 0], [1e300, 0], [1e300, 1e300], [0, 1e300]]", "[]"),
      ("[[-1e19, 0], [100, 0], [100, 100], [0, 100]]", "[]"),
      ("[[0, 0], [9000, 0], [9000, 9000], [0, 9000]]", "[]"),
      (
        "[[0, 0], [100, 0], [100, 100], [0, 100]]",
        #"[{"surface": "water", "center": [1e300, 0], "radius": 5}]"#
      ),
      (
        "[[0, 0], [100, 0], [100, 100], [0, 100]]",
        #"[{"surface": "water", "center": [0, 0], "radius": 1e300}]"#
      ),
      ("[" + Array(repeating: "[0, 0]", count: 1001).joined(separator: ", ") + "]", "[]"),
    ]
    for (points, regions) in cases {
      #expect(throws: SimulatorError.self, "\(points.prefix(60)) \(regions)") {
        try Self.track(points: points, regions: regions)
      }
    }
  }

  @Test func oddRepliesAreReadWithoutTrapping() {
    #expect(
      ServerPacket(text: #"42["steer",{"steering_angle":"1e999","throttle":"0"}]"#)
        == .steer(steering: "1e999", throttle: "0"))
    #expect(unityParseFloat("1e999") == nil)
    #expect(unityParseFloat("nan") == nil)
    #expect(ServerPacket(text: "0" + String(repeating: "[", count: 100_000)) != .open)
    #expect(ServerPacket(text: "42" + String(repeating: "9", count: 10_000)) != .manual)
  }
}
