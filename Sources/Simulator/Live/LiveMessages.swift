// What the browser page and `Simulate serve` say to each other over the WebSocket (docs/browser.md):
// the page sends small JSON commands; the simulator sends camera frames as binary JPEG messages and
// JSON text (hello, map, state).
import Foundation

/// A command from the page. Anything else on the WebSocket closes that connection.
package enum LiveCommand: Sendable, Equatable {
  /// Driver input: keyboard targets (-1, 0, 1; smoothed by the simulator) or gamepad axes (analog, applied as is).
  case input(steering: Double, throttle: Double, analog: Bool)
  case record(Bool)
  case pause(Bool)
  /// Back to the start line of the current track.
  case reset
  case track(String)
  case mode(LiveMode)

  package struct Invalid: Error, CustomStringConvertible {
    package let description: String
  }

  private struct Wire: Decodable {
    var type: String
    var steering: Double?
    var throttle: Double?
    var analog: Bool?
    var on: Bool?
    var name: String?
    var mode: String?
  }

  /// Parses one text message; throws `Invalid` for anything that is not a known, well-formed command.
  package init(json text: String) throws {
    let wire: Wire
    do {
      wire = try JSONDecoder().decode(Wire.self, from: Data(text.utf8))
    } catch {
      throw Invalid(description: "not a command object: \(text.prefix(80))")
    }
    func need<T>(_ value: T?, _ field: String) throws -> T {
      guard let value else { throw Invalid(description: "\(wire.type) needs \(field)") }
      return value
    }
    switch wire.type {
    case "input":
      let s = try need(wire.steering, "steering")
      let t = try need(wire.throttle, "throttle")
      guard s.isFinite, t.isFinite, abs(s) <= 1, abs(t) <= 1 else {
        throw Invalid(description: "input values must be in -1...1")
      }
      self = .input(steering: s, throttle: t, analog: wire.analog ?? false)
    case "record": self = .record(try need(wire.on, "on"))
    case "pause": self = .pause(try need(wire.on, "on"))
    case "reset": self = .reset
    case "track":
      let name = try need(wire.name, "name")
      guard TrackLibrary.names.contains(name) else { throw Invalid(description: "unknown track \(name)") }
      self = .track(name)
    case "mode":
      guard let mode = LiveMode(rawValue: try need(wire.mode, "mode")) else {
        throw Invalid(description: "unknown mode")
      }
      self = .mode(mode)
    default: throw Invalid(description: "unknown command type \(wire.type.prefix(40))")
    }
  }
}

/// Who drives the car.
package enum LiveMode: String, Sendable, Codable {
  /// The person at the page drives (keyboard or gamepad) and may record.
  case training
  /// A Drive server drives over the Udacity protocol.
  case autonomous
}

/// What the page shows, sent with every camera frame (and on every change of mode or track).
package struct LiveState: Codable, Sendable, Equatable {
  var type = "state"
  var mode: LiveMode
  var track: String
  /// Simulated seconds since the last reset.
  var time: Double
  var paused: Bool
  var speedMph: Double
  /// Applied steering (normalized, positive right) and throttle (-1 brake ... 1).
  var steering: Double
  var throttle: Double
  /// Signed distance from the centre line (m, positive left) and the road's half width.
  var cte: Double
  var halfWidth: Double
  /// Car centre in track metres (for the map).
  var x: Double
  var y: Double
  var heading: Double
  var laps: Int
  var offRoad: Int
  var recording: Bool
  /// Rows this session recorded and the simulated seconds they cover.
  var rows: Int
  var recordedSeconds: Double
  /// Autonomous mode: the Drive server's last reply (raw steering string as it arrived) and replies so far.
  var serverSteering: String?
  var replies: Int
  /// Base64 PNG (8-bit grey, the camera's size) from the Drive server's `saliency` key, if it sends one.
  var saliency: String?
  /// The last problem (e.g. no Drive server), for the page to show.
  var error: String?
  /// Camera frames published so far (the page counts the ones it received).
  var frame: Int
}

/// Sent once per connection: what the page can offer.
package struct LiveHello: Codable, Sendable {
  var type = "hello"
  var tracks: [String]
  var driveServer: String
  var recordingDirectory: String
  var maxFramesPerSecond: Double
}

/// The track as the map draws it: the centre line every few metres.
package struct LiveMap: Codable, Sendable {
  var type = "map"
  var track: String
  var halfWidth: Double
  // points: (n, 2) metres
  var points: [[Double]]

  init(track: Track, spacing: Double = 2) {
    self.track = track.name
    halfWidth = track.halfWidth
    let n = max(Int(track.length / spacing), 8)
    points = (0..<n).map { i in
      let p = track.pose(at: Double(i) * track.length / Double(n)).0
      return [(p.x * 100).rounded() / 100, (p.y * 100).rounded() / 100]
    }
  }
}

extension Encodable {
  /// Compact JSON text (the page's messages).
  func liveJSON() -> String {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    guard let data = try? encoder.encode(self) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
