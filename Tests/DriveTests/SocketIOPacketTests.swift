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
