// What the Unity client understands from the server, and what it sends: Engine.IO v3 / Socket.IO v2
// text packets as ../shared/docs/simulator-protocol.md describes them.
import Foundation

/// A server packet as the Unity client's SocketIO component reacts to it.
package enum ServerPacket: Equatable, Sendable {
  /// `0{...}` with a `sid`: raises `open` (one telemetry chain).
  case open
  /// `2`: answer `3`.
  case ping
  /// `3`: schedule the next ping.
  case pong
  /// `42["steer",{...}]`: the raw field values (nil when missing or not a JSON string); `saliency`
  /// is the optional extra key of `Drive --saliency` (base64 PNG), which the Unity client ignores.
  case steer(steering: String?, throttle: String?, saliency: String? = nil)
  /// `42["manual",{}]`.
  case manual
  /// An event the client has no handler for.
  case otherEvent(String)
  /// Packets the client ignores (`40`, `41`, `1`, `5`, `6`, ...).
  case ignored
  /// A packet that makes the client close the socket and reconnect (bad event shape, open without sid).
  case malformed(String)

  package init(text: String) {
    guard let first = text.first else {
      self = .ignored
      return
    }
    switch first {
    case "0":
      let json = try? JSONSerialization.jsonObject(with: Data(text.dropFirst().utf8))
      if let object = json as? [String: Any], object["sid"] is String {
        self = .open
      } else {
        self = .malformed("open packet without sid: \(text.prefix(80))")
      }
    case "2": self = .ping
    case "3": self = .pong
    case "4":
      guard text.hasPrefix("42") else {
        self = .ignored
        return
      }
      // Socket.IO event, optionally with an ack id before the array.
      let body = text.dropFirst(2).drop(while: \.isNumber)
      guard
        let array = (try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]))
          as? [Any],
        let name = array.first as? String, array.count <= 2
      else {
        self = .malformed("event is not [name] or [name, {object}]: \(text.prefix(80))")
        return
      }
      let data: [String: Any]
      if array.count == 2 {
        guard let object = array[1] as? [String: Any] else {
          self = .malformed("event data is not an object: \(text.prefix(80))")
          return
        }
        data = object
      } else {
        data = [:]
      }
      switch name {
      case "steer":
        self = .steer(
          steering: data["steering_angle"] as? String, throttle: data["throttle"] as? String,
          saliency: data["saliency"] as? String)
      case "manual": self = .manual
      default: self = .otherEvent(name)
      }
    default: self = .ignored
    }
  }
}

/// `float.Parse` as the Unity client calls it on a steer field: nil (the handler throws) for a
/// missing value or text that is not a number.
package func unityParseFloat(_ text: String?) -> Double? {
  guard let text else { return nil }
  let trimmed = text.trimmingCharacters(in: .whitespaces)
  guard let value = Double(trimmed), value.isFinite else { return nil }
  return value
}

/// The telemetry event the Unity client emits in autonomous mode: every value a string with 4
/// decimals, the image base64 of the centre camera's JPEG; compact JSON, `/` not escaped.
func telemetryMessage(steeringDegrees: Double, throttle: Double, speedMph: Double, jpeg: [UInt8]) -> String {
  let image = Data(jpeg).base64EncodedString()
  func f(_ v: Double) -> String { String(format: "%.4f", v) }
  return "42[\"telemetry\",{\"steering_angle\":\"\(f(steeringDegrees))\",\"throttle\":\"\(f(throttle))\","
    + "\"speed\":\"\(f(speedMph))\",\"image\":\"\(image)\"}]"
}
