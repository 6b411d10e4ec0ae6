// Engine.IO framing. Over WebSocket one text message is one packet (`<type digit><data>`);
// a long-polling body carries several: EIO3 `<len>:<packet>` repeated, EIO4 joined by U+001E.

/// The Engine.IO protocol revision a client speaks (the `EIO` query parameter).
public enum EngineIOVersion: Int, Sendable, Hashable {
  case v3 = 3
  case v4 = 4
}

/// Engine.IO packet types, in wire order (`0` open ... `6` noop).
package enum EnginePacketType: Character, Sendable {
  case open = "0"
  case close = "1"
  case ping = "2"
  case pong = "3"
  case message = "4"
  case upgrade = "5"
  case noop = "6"
}

/// One Engine.IO packet: its type and the text after the type digit.
package struct EnginePacket: Sendable, Equatable {
  package var type: EnginePacketType
  package var data: Substring

  package init(type: EnginePacketType, data: Substring = "") {
    self.type = type
    self.data = data
  }

  /// Parses `text` (one packet). Binary-in-text packets (`b4...`) are not supported.
  package init(parsing text: String) throws(DriveError) {
    guard let first = text.first, let type = EnginePacketType(rawValue: first) else {
      throw .malformedEnginePacket(Self.preview(text))
    }
    self.type = type
    self.data = text.dropFirst()
  }

  package var encoded: String { String(type.rawValue) + data }

  /// The first 40 characters, for log lines that must not carry a whole telemetry image.
  package static func preview(_ text: some StringProtocol) -> String {
    text.count <= 40 ? "\"\(text)\"" : "\"\(text.prefix(40))...\" (\(text.utf8.count) bytes)"
  }
}

/// Polling payload codecs for both protocol revisions.
package enum EnginePayload {
  static let recordSeparator: Character = "\u{1e}"

  // packets: [String] (each already `<type><data>`) -> one HTTP body
  package static func encode(_ packets: [String], version: EngineIOVersion) -> String {
    switch version {
    case .v4:
      return packets.joined(separator: String(recordSeparator))
    case .v3:
      // EIO3 lengths count characters (code points), as python-engineio and engine.io-client do.
      return packets.map { "\($0.unicodeScalars.count):\($0)" }.joined()
    }
  }

  // one HTTP body -> packets
  package static func decode(_ body: String, version: EngineIOVersion) throws(DriveError) -> [String] {
    switch version {
    case .v4:
      guard !body.isEmpty else { throw .malformedPayload("empty body") }
      return body.split(separator: recordSeparator, omittingEmptySubsequences: false).map(String.init)
    case .v3:
      return try decodeV3(body)
    }
  }

  private static func decodeV3(_ body: String) throws(DriveError) -> [String] {
    var packets: [String] = []
    let scalars = Array(body.unicodeScalars)
    var i = 0
    guard !scalars.isEmpty else { throw .malformedPayload("empty body") }
    while i < scalars.count {
      var length = 0
      var digits = 0
      while i < scalars.count, (48...57).contains(scalars[i].value) {
        length = length * 10 + Int(scalars[i].value - 48)
        digits += 1
        i += 1
        guard digits <= 9 else { throw .malformedPayload("length prefix too long") }
      }
      guard digits > 0, i < scalars.count, scalars[i] == ":" else {
        throw .malformedPayload("expected <length>: at character \(i)")
      }
      i += 1
      guard length > 0, i + length <= scalars.count else {
        throw .malformedPayload("packet length \(length) overruns the body")
      }
      var packet = String.UnicodeScalarView()
      packet.append(contentsOf: scalars[i..<(i + length)])
      packets.append(String(packet))
      i += length
    }
    return packets
  }
}
