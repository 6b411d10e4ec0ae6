import Testing

@testable import Drive

@Suite struct EngineIOTests {
  @Test func parsesPacketTypes() throws {
    let ping = try EnginePacket(parsing: "2probe")
    #expect(ping.type == .ping)
    #expect(ping.data == "probe")
    #expect(try EnginePacket(parsing: "42[\"x\"]").type == .message)
    #expect(try EnginePacket(parsing: "6").encoded == "6")
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "") }
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "9abc") }
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "b4AAAA") }
  }

  @Test func eio3PayloadRoundTrip() throws {
    // The example from the protocol notes: lengths count characters.
    let open = #"0{"sid":"abc","upgrades":["websocket"],"pingTimeout":60000,"pingInterval":25000}"#
    let body = EnginePayload.encode([open, "40"], version: .v3)
    #expect(body == "\(open.count):\(open)2:40")
    #expect(try EnginePayload.decode(body, version: .v3) == [open, "40"])
    // Non-ASCII: characters, not bytes.
    #expect(EnginePayload.encode(["4é"], version: .v3) == "2:4é")
    #expect(try EnginePayload.decode("2:4é1:2", version: .v3) == ["4é", "2"])
  }

  @Test func eio4PayloadRoundTrip() throws {
    let body = EnginePayload.encode(["0{}", "42[\"a\"]", "2"], version: .v4)
    #expect(body == "0{}\u{1e}42[\"a\"]\u{1e}2")
    #expect(try EnginePayload.decode(body, version: .v4) == ["0{}", "42[\"a\"]", "2"])
  }

  @Test(arguments: ["", "5:abc", "x:2", "3", "0:", ":4", "99999999999:4"])
  func malformedEIO3Payloads(_ body: String) {
    #expect(throws: DriveError.self) { try EnginePayload.decode(body, version: .v3) }
  }

  @Test func requestQueryRules() throws {
    let simulator = try EngineRequest(uri: "/socket.io/?EIO=4&transport=websocket")
    #expect(simulator.version == .v4)
    #expect(simulator.transport == .websocket)
    #expect(simulator.sid == nil)
    let poll = try EngineRequest(uri: "/socket.io/?transport=polling&EIO=3&t=NxYz&sid=abc")
    #expect(poll.version == .v3)
    #expect(poll.sid == "abc")
    #expect(throws: EngineRequest.Rejection.self) {
      try EngineRequest(uri: "/other/?EIO=4&transport=websocket")
    }
    #expect(throws: EngineRequest.Rejection.self) {
      try EngineRequest(uri: "/socket.io/?EIO=5&transport=websocket")
    }
    #expect(throws: EngineRequest.Rejection.self) {
      try EngineRequest(uri: "/socket.io/?EIO=4&transport=flash")
    }
    #expect(throws: EngineRequest.Rejection.self) { try EngineRequest(uri: "/socket.io/") }
  }
}
