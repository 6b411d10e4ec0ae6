// The built-in tracks. Each is plain data (a TrackSpec); `Simulate tracks --export DIR` writes them
// as the JSON a user edits to make a new one. Lake and jungle are written here (their centre lines
// are sampled from star-shaped polar curves r(theta) = r0 + sum a_k cos(k theta + phase_k), which
// close smoothly and never cross); every other built-in is only its file Tracks/<name>.json, which
// the EmbedTracks plugin compiles into the module as text.
import Foundation

public enum TrackLibrary {
  /// Lake and jungle first, then the tracks that exist only as Tracks/*.json, by name.
  public static let names =
    ["lake", "jungle"] + embeddedTrackFiles.map(\.name).filter { !["lake", "jungle"].contains($0) }.sorted()

  /// The built-in track `name`, or nil when there is none (or its embedded file does not decode;
  /// `load(named:)` says why).
  public static func spec(named name: String) -> TrackSpec? { try? load(named: name) }

  /// The built-in track `name`; throws `unknownTrack`, or `invalidTrack` if its embedded JSON is bad.
  public static func load(named name: String) throws -> TrackSpec {
    switch name {
    case "lake": return lake
    case "jungle": return jungle
    default:
      guard let file = embeddedTrackFiles.first(where: { $0.name == name }) else {
        throw SimulatorError.unknownTrack(name)
      }
      return try TrackSpec.decode(Data(file.json.utf8), source: "Tracks/\(name).json (built in)")
    }
  }

  /// Gentle curves and a few tighter ones (minimum radius about 32 m), about 790 m a lap, a lake
  /// in the middle, kerbs on the tighter curves; driven counter-clockwise like the simulator's first track.
  public static let lake = TrackSpec(
    name: "lake", roadWidth: 8,
    controlPoints: polarControlPoints(
      r0: 115, harmonics: [(2, 22, 0.3), (3, 14, 1.2), (5, 7, 2.0), (7, 3, 0.5)], count: 40),
    style: TrackStyle(
      edgeLines: "white", centerLine: false, kerbRadius: 70, shoulder: .grass, ground: .grass,
      scenery: "hills"),
    regions: [
      SurfaceRegion(surface: .water, center: [0, 0], radius: 48),
      SurfaceRegion(surface: .dirt, center: [175, 40], radius: 22),
      SurfaceRegion(surface: .sand, center: [-20, 52], radius: 10),
    ],
    textureSeed: 11)

  /// Sharp turns (minimum radius about 13 m) and S-bends, about 700 m a lap, a two-lane road with a
  /// dashed centre line and dirt verges, tall trees and mountains, like the simulator's second track.
  public static let jungle = TrackSpec(
    name: "jungle", roadWidth: 7,
    controlPoints: polarControlPoints(
      r0: 100, harmonics: [(2, 16, 0.8), (3, 12, 2.1), (5, 8, 0.4), (7, 3.5, 1.7), (9, 1.2, 0.3)],
      count: 64),
    style: TrackStyle(
      edgeLines: "white", centerLine: true, kerbRadius: 0, shoulder: .dirt, ground: .grass,
      scenery: "jungle"),
    regions: [SurfaceRegion(surface: .dirt, center: [0, 0], radius: 30)],
    textureSeed: 23)

  /// `count` points of a polar curve, counter-clockwise from theta = 0, rounded to centimetres.
  static func polarControlPoints(r0: Double, harmonics: [(Int, Double, Double)], count: Int) -> [[Double]] {
    (0..<count).map { i in
      let theta = 2 * Double.pi * Double(i) / Double(count)
      var r = r0
      for (k, a, phase) in harmonics { r += a * cos(Double(k) * theta + phase) }
      return [(r * cos(theta) * 100).rounded() / 100, (r * sin(theta) * 100).rounded() / 100]
    }
  }
}
