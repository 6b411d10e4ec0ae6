import Foundation
import Testing

@testable import Drive

@Suite struct SocketIOPacketTests {
  @Test func parsesEventsNamespacesAndAckIDs() throws {
    let plain = try SocketIOPacket(parsing: #"2["telemetry",{"speed":"1"}]"#)
    #expect(plain.kind == .event)
    #expect(plain.namespace == "/")
    #expect(plain.ackID == nil)
    let event = try plain.event()
    #expect(event.name == "telemetry")
    #expect((event.arguments.first as? [String: Any])?["speed"] as? String == "1")

    let acked = try SocketIOPacket(parsing: #"2/cars,17["telemetry",null]"#)
    #expect(acked.namespace == "/cars")
    #expect(acked.ackID == 17)
    #expect(try acked.event().arguments.first is NSNull)

    let connect = try SocketIOPacket(parsing: "0")
    #expect(connect.kind == .connect)
    #expect(connect.payload == nil)
    let connectAuth = try SocketIOPacket(parsing: #"0{"token":"x"}"#)
    #expect(connectAuth.kind == .connect)
  }

  @Test(arguments: ["", "x", "9[]", #"2["telemetry",{"#, "5-[]", #"2{"a":1}"#])
  func rejectsMalformed(_ text: String) {
    #expect(throws: DriveError.self) {
      let packet = try SocketIOPacket(parsing: Substring(text))
      _ = try packet.event()
    }
  }

  /// The general parser's reading of a telemetry event's fields as strings, or nil when it refuses
  /// the packet, it is not a telemetry event, or a field is not a string.
  static func generalFields(_ text: String) -> [String: String]? {
    guard let packet = try? SocketIOPacket(parsing: Substring(text)), packet.namespace == "/",
      packet.ackID == nil, let event = try? packet.event(), event.name == "telemetry",
      event.arguments.count == 1, let object = event.arguments[0] as? [String: Any]
    else { return nil }
    var fields: [String: String] = [:]
    for (key, value) in object {
      guard let string = value as? String else { return nil }
      fields[key] = string
    }
    return fields
  }

  static func fastFields(_ text: String) -> [String: String]? {
    SocketIOPacket.simulatorTelemetry(Substring(text)).map { $0.mapValues { $0 as! String } }
  }

  /// The fast path takes the simulator's form and declines the rest; whatever it takes, the
  /// general parser takes too and reads the same fields.
  @Test func simulatorTelemetryFastPathAgreesWithTheGeneralParser() throws {
    let simulator =
      #"2["telemetry",{"steering_angle":"-0,1250","throttle":"0.2000","speed":"24.9812","image":"/9j/4AAQSkZJRg+/="}]"#
    #expect(Self.fastFields(simulator) == Self.generalFields(simulator))
    #expect(Self.fastFields(simulator)?["image"] == "/9j/4AAQSkZJRg+/=")
    #expect(Self.fastFields(#"2["telemetry",{}]"#) == [:])
    #expect(Self.fastFields(#"2["telemetry",{"é":"ü ✓"}]"#) == ["é": "ü ✓"])
    let declined = [
      #"2["telemetry",{"image":"a\/b","speed":"1"}]"#,  // an escape: the general parser unescapes
      #"2["telemetry", {"speed":"1"}]"#, #"2["telemetry",{"speed": "1"}]"#,  // whitespace
      #"2["telemetry",{"speed":1.5}]"#, #"2["telemetry",{"speed":null}]"#, #"2["telemetry",null]"#,
      #"2["telemetry",{"speed":"1","speed":"2"}]"#,  // a repeated key
      #"2/cars,["telemetry",{"speed":"1"}]"#, #"27["telemetry",{"speed":"1"}]"#,  // namespace, ack id
      #"2["telemetry",{"speed":"1"},5]"#, #"2["telemetry",{"speed":"1"}] "#, #"2["telemetry",{"speed":"1"}"#,
      #"2["telemetry",{"speed":"1",}]"#, #"2["telemetry",{"speed":"1"]"#,
      "2[\"telemetry\",{\"a\":\"\u{1}\"}]",
      #"2["steer",{"speed":"1"}]"#, #"2["telemetry",{"a":{"b":"c"}}]"#,
    ]
    for text in declined { #expect(Self.fastFields(text) == nil, "\(text)") }
    // Every one-byte deletion, and insertions of JSON's structural bytes, of the simulator's form:
    // accepted only where the general parser reads the same fields.
    var mutants: [String] = []
    let bytes = Array(simulator.utf8)
    for i in bytes.indices {
      var deleted = bytes
      deleted.remove(at: i)
      mutants.append(String(decoding: deleted, as: UTF8.self))
      for b in Array(#"",:{}[] "#.utf8) + [0] {
        var inserted = bytes
        inserted.insert(b, at: i)
        mutants.append(String(decoding: inserted, as: UTF8.self))
      }
    }
    var accepted = 0
    for text in mutants {
      guard let fast = Self.fastFields(text) else { continue }
      accepted += 1
      #expect(fast == Self.generalFields(text), "\(text)")
    }
    #expect(accepted > 0 && accepted < mutants.count)
  }

  /// The word-at-a-time scan for a string's end against a byte loop: a quote, a backslash or a
  /// control character at every position of a long string, around multi-byte UTF-8.
  @Test func closingQuoteFindsTheFirstQuoteAndRefusesEscapesAndControls() {
    func reference(_ bytes: [UInt8]) -> Int? {
      for (j, b) in bytes.enumerated() {
        if b == 0x22 { return j }
        if b == 0x5C || b < 0x20 { return nil }
      }
      return nil
    }
    let text = Array("aé✓/+=09AZaz".utf8)
    for length in [0, 1, 7, 8, 9, 31, 64] {
      let body = (0..<length).map { text[$0 % text.count] }
      for position in 0...length {
        for special: UInt8 in [0x22, 0x5C, 0x00, 0x1F, 0x20, 0x7F, 0x80, 0xFF] {
          var bytes = body
          bytes.insert(special, at: position)
          bytes += [0x22] + body
          let got = bytes.withUnsafeBufferPointer { SocketIOPacket.closingQuote($0, from: 0) }
          #expect(got == reference(bytes), "length \(length), \(special) at \(position)")
        }
      }
    }
  }

  @Test func steerIsCompactWithStringValues() throws {
    let text = SocketIOText.steer(steering: -0.05, throttle: 0.2)
    #expect(text == #"42["steer",{"steering_angle":"-0.05","throttle":"0.2"}]"#)
    // It is valid JSON an independent parser reads back with string values.
    let array = try #require(try JSONSerialization.jsonObject(with: Data(text.dropFirst(2).utf8)) as? [Any])
    let fields = try #require(array.last as? [String: Any])
    #expect(fields["steering_angle"] is String)
    #expect(SocketIOText.manual == #"42["manual",{}]"#)
  }

  @Test(arguments: [
    (Float(0), "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (0.918, "0.918"), (0.1234567, "0.123457"),
    (1e-7, "0"), (-2.6e-6, "-0.000003"), (25, "25"), (Float.nan, "0"), (Float.infinity, "0"),
  ])
  func decimalsHaveNoExponent(_ value: Float, _ expected: String) {
    #expect(SocketIOText.decimal(value) == expected)
  }

  @Test func decimalsRoundTripThroughDouble() {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<1000 {
      let v = Float.random(in: -1...1, using: &rng)
      let text = SocketIOText.decimal(v)
      #expect(!text.contains("e") && !text.contains("E"))
      // Six decimals are within half a millionth, plus the binary rounding of that half (a bound
      // of exactly 5e-7 failed for 1 value in some thousands: 5.000000000143778e-07).
      #expect(abs(Double(text)! - Double(v)) <= 5e-7 + 1e-12)
    }
  }
}
