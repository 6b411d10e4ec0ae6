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

extension SocketIOPacket {
  private static let telemetryPrefix = Array(#"2["telemetry",{"#.utf8)

  /// The fields of a `2["telemetry",{...}]` event in the form the simulator writes it: a flat
  /// object of string values, no escapes, no whitespace between tokens. Read without
  /// JSONSerialization, which took about 20 us of a 16 KB frame (`Bench drive`'s parse stage).
  /// nil for anything else (numbers, escapes, whitespace, a repeated key, a namespace, an ack id):
  /// the general parser decides those, so this never accepts what it would refuse or reads a
  /// value differently (`SocketIOPacketTests` holds the two to that).
  package static func simulatorTelemetry(_ data: Substring) -> [String: Any]? {
    var copy = data
    return copy.withUTF8 { bytes -> [String: Any]? in
      let prefix = telemetryPrefix
      guard bytes.count > prefix.count + 1, bytes.starts(with: prefix) else { return nil }
      var i = prefix.count
      var fields: [String: Any] = [:]
      func string() -> UnsafeBufferPointer<UInt8>? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let end = closingQuote(bytes, from: i + 1)
        else {
          return nil
        }
        defer { i = end + 1 }
        return UnsafeBufferPointer(rebasing: bytes[(i + 1)..<end])
      }
      if bytes[i] != UInt8(ascii: "}") {
        while true {
          guard let key = string(), i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
          i += 1
          guard let value = string() else { return nil }
          let name = String(decoding: key, as: UTF8.self)
          guard fields.updateValue(String(decoding: value, as: UTF8.self), forKey: name) == nil else {
            return nil
          }
          guard i < bytes.count else { return nil }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          break
        }
      }
      guard bytes.count - i == 2, bytes[i] == UInt8(ascii: "}"), bytes[i + 1] == UInt8(ascii: "]") else {
        return nil
      }
      return fields
    }
  }

  /// The index of the quote ending a JSON string whose text starts at `start`, when the string has
  /// no escape and no control character (nil otherwise, or when it does not end). Eight bytes at
  /// a time: a 16 KB image took 12 us byte by byte.
  static func closingQuote(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    // Lanes that are zero / below 0x20 have their high bit set (exact when no lane has it set).
    func zero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
    var j = start
    let base = UnsafeRawPointer(bytes.baseAddress!)
    while j + 8 <= bytes.count {
      let w = base.loadUnaligned(fromByteOffset: j, as: UInt64.self)
      if zero(w ^ (ones &* 0x22)) | zero(w ^ (ones &* 0x5C)) | ((w &- ones &* 0x20) & ~w & highs) != 0 {
        break
      }
      j += 8
    }
    while j < bytes.count {
      let b = bytes[j]
      if b == UInt8(ascii: "\"") { return j }
      if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
      j += 1
    }
    return nil
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
