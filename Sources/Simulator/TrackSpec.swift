// A track as data: the JSON a user writes (or `Simulate tracks --export` prints) to add a track.
import Foundation

/// Ground surfaces the renderer and the off-road rules know.
public enum Surface: String, Sendable, Codable, CaseIterable {
  case asphalt, grass, dirt, water, sand
  /// Loose grey-brown stones (a desert verge).
  case gravel
  /// Red-brown sandstone (the canyon floor).
  case rock
}

/// A disc of one surface placed off the road (a lake, a sand pit, a dirt patch).
public struct SurfaceRegion: Sendable, Codable, Hashable {
  public var surface: Surface
  public var center: [Double]
  public var radius: Double

  public init(surface: Surface, center: [Double], radius: Double) {
    self.surface = surface
    self.center = center
    self.radius = radius
  }
}

/// How a track looks: markings, kerbs, off-road surfaces and scenery.
public struct TrackStyle: Sendable, Codable, Hashable {
  /// Paint of the solid edge lines: "white", "yellow" or "none".
  public var edgeLines: String
  /// A dashed centre line between two lanes.
  public var centerLine: Bool
  /// Red-and-white kerbs outside the edge where the road curves tighter than this radius (m); 0 = none.
  public var kerbRadius: Double
  /// Off-road surface next to the road.
  public var shoulder: Surface
  /// Surface everywhere else.
  public var ground: Surface
  /// Background: "hills" (rolling green hills, a few trees), "jungle" (dense tall trees, mountains)
  /// or "canyon" (banded red rock walls and flat-topped mesas under a hazy desert sky).
  public var scenery: String

  public init(
    edgeLines: String, centerLine: Bool, kerbRadius: Double, shoulder: Surface, ground: Surface,
    scenery: String
  ) {
    self.edgeLines = edgeLines
    self.centerLine = centerLine
    self.kerbRadius = kerbRadius
    self.shoulder = shoulder
    self.ground = ground
    self.scenery = scenery
  }
}

/// A closed track: centre-line control points (metres, driven in the listed order), road width, style.
/// The centre line is the closed centripetal Catmull-Rom spline through the points.
public struct TrackSpec: Sendable, Codable, Hashable {
  public var name: String
  public var roadWidth: Double
  public var controlPoints: [[Double]]
  public var style: TrackStyle
  public var regions: [SurfaceRegion]
  /// Seeds the procedural textures and scenery.
  public var textureSeed: UInt64

  public init(
    name: String, roadWidth: Double, controlPoints: [[Double]], style: TrackStyle,
    regions: [SurfaceRegion] = [], textureSeed: UInt64
  ) {
    self.name = name
    self.roadWidth = roadWidth
    self.controlPoints = controlPoints
    self.style = style
    self.regions = regions
    self.textureSeed = textureSeed
  }

  /// Reads a track from a JSON file.
  public static func load(from url: URL) throws -> TrackSpec {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw SimulatorError.invalidTrack("cannot read \(url.path): \(error.localizedDescription)")
    }
    return try decode(data, source: url.path)
  }

  /// Decodes a track from JSON text; `source` names it in the error.
  static func decode(_ data: Data, source: String) throws -> TrackSpec {
    do {
      return try JSONDecoder().decode(TrackSpec.self, from: data)
    } catch {
      throw SimulatorError.invalidTrack("\(source) is not a track JSON file: \(error)")
    }
  }

  /// The track as pretty-printed JSON, keys sorted.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Bounds on a track file: the built-in laps are under 1 km within 200 m of the origin. Larger
  /// numbers would make the centre line millions of samples long (or overflow `Int(x)`).
  static let maxCoordinate = 10_000.0
  static let maxControlPoints = 1000
  static let maxLapLength = 10_000.0

  /// The backgrounds `Panorama` can draw.
  static let sceneries = ["hills", "jungle", "canyon"]

  /// Checks what the geometry builder relies on; the message says what is wrong.
  func validate() throws {
    guard (4...Self.maxControlPoints).contains(controlPoints.count) else {
      throw SimulatorError.invalidTrack(
        "\(name): needs 4...\(Self.maxControlPoints) control points, has \(controlPoints.count)")
    }
    let inBounds = { (v: Double) in v.isFinite && abs(v) <= Self.maxCoordinate }
    for (i, p) in controlPoints.enumerated() where p.count != 2 || !p.allSatisfy(inBounds) {
      throw SimulatorError.invalidTrack(
        "\(name): control point \(i) must be [x, y] metres within \(Int(Self.maxCoordinate)), is \(p)")
    }
    var lap = 0.0
    for (i, p) in controlPoints.enumerated() {
      let q = controlPoints[(i + 1) % controlPoints.count]
      lap += ((q[0] - p[0]) * (q[0] - p[0]) + (q[1] - p[1]) * (q[1] - p[1])).squareRoot()
    }
    guard lap <= Self.maxLapLength else {
      throw SimulatorError.invalidTrack(
        "\(name): lap of \(Int(lap)) m is longer than \(Int(Self.maxLapLength)) m")
    }
    guard roadWidth.isFinite, (3...30).contains(roadWidth) else {
      throw SimulatorError.invalidTrack("\(name): road width \(roadWidth) m is outside 3...30 m")
    }
    guard ["white", "yellow", "none"].contains(style.edgeLines) else {
      throw SimulatorError.invalidTrack("\(name): edgeLines must be white, yellow or none")
    }
    guard Self.sceneries.contains(style.scenery) else {
      throw SimulatorError.invalidTrack(
        "\(name): scenery must be one of \(Self.sceneries.joined(separator: ", "))")
    }
    for r in regions
    where r.center.count != 2 || !r.center.allSatisfy(inBounds) || !(r.radius > 0) || !inBounds(r.radius) {
      throw SimulatorError.invalidTrack("\(name): a region needs center [x, y] and a positive radius")
    }
  }
}
