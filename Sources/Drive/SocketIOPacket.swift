import Foundation

// Socket.IO packets ride inside Engine.IO `4` messages:
// `<type>[<attachments>-][/<namespace>,][<ack id>][<json>]`, e.g. `42["telemetry",{...}]`.

/// One decoded Socket.IO packet. `payload` is the JSON value (Foundation objects) or nil.
package struct SocketIOPacket {
  package enum Kind: Character {
    case connect = "0"
    case disconnect = "1"
    case event = "2"
    case ack = "3"
    case connectError = "4"
    case binaryEvent = "5"
    case binaryAck = "6"
  }

  package var kind: Kind
  package var namespace: String
  package var ackID: Int?
  package var payload: Any?

  /// Parses the data of an Engine.IO message packet (the text after the `4`).
  package init(parsing text: Substring) throws(DriveError) {
    guard let first = text.first, let kind = Kind(rawValue: first) else {
      throw .malformedSocketPacket(EnginePacket.preview(text))
    }
    guard kind != .binaryEvent && kind != .binaryAck else {
      throw .malformedSocketPacket("binary attachments are not supported")
    }
    self.kind = kind
    var rest = text.dropFirst()
    namespace = "/"
    if rest.first == "/" {
      let end = rest.firstIndex(of: ",") ?? rest.endIndex
      namespace = String(rest[..<end])
      rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
    }
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    if !digits.isEmpty {
      guard let id = Int(digits) else { throw .malformedSocketPacket("ack id \(digits) out of range") }
      ackID = id
      rest = rest.dropFirst(digits.count)
    }
    guard !rest.isEmpty else {
      payload = nil
      return
    }
    do {
      payload = try JSONSerialization.jsonObject(with: Data(rest.utf8), options: [.fragmentsAllowed])
    } catch {
      throw .malformedSocketPacket("invalid JSON in \(EnginePacket.preview(text))")
    }
  }

  /// For an event packet: the event name and its arguments (`["telemetry", {...}]`).
  package func event() throws(DriveError) -> (name: String, arguments: [Any]) {
    guard kind == .event, let array = payload as? [Any], let name = array.first as? String else {
      throw .malformedSocketPacket("an event must be a JSON array starting with its name")
    }
    return (name, Array(array.dropFirst()))
  }
}

/// Server-to-client Socket.IO text, built by hand: compact, and `/` is never escaped because the
/// simulator's JSON reader does not unescape strings.
package enum SocketIOText {
  /// `42["steer",{"steering_angle":"<s>","throttle":"<t>"}]` with string values.
  package static func steer(steering: Float, throttle: Float) -> String {
    #"42["steer",{"steering_angle":""# + decimal(steering) + #"","throttle":""# + decimal(throttle) + #""}]"#
  }

  /// `steer` with a third string field, `"saliency":"<base64 PNG>"` (Drive `--saliency`). The
  /// simulator reads only the fields it knows; base64 needs no JSON escaping.
  package static func steer(steering: Float, throttle: Float, saliencyBase64: String) -> String {
    #"42["steer",{"steering_angle":""# + decimal(steering) + #"","throttle":""# + decimal(throttle)
      + #"","saliency":""# + saliencyBase64 + #""}]"#
  }

  /// `42["manual",{}]`: no control change, only a request for the next telemetry.
  package static let manual = #"42["manual",{}]"#

  /// Fixed-point text with up to 6 decimals, no exponent and no `-0` (C#'s float.Parse and
  /// Python's float() both read it). Non-finite values become "0".
  package static func decimal(_ value: Float) -> String {
    guard value.isFinite else { return "0" }
    let scaled = (Double(value) * 1_000_000).rounded()
    guard scaled != 0 else { return "0" }
    let negative = scaled < 0
    let magnitude = UInt64(min(abs(scaled), 9e18))
    let whole = magnitude / 1_000_000
    var fraction = magnitude % 1_000_000
    var text = (negative ? "-" : "") + String(whole)
    if fraction != 0 {
      var digits = 6
      while fraction % 10 == 0 {
        fraction /= 10
        digits -= 1
      }
      let f = String(fraction)
      text += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return text
  }
}
