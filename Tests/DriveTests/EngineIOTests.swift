import Testing

@testable import Drive

@Suite struct EngineIOTests {
  @Test func parsesPacketTypes() throws {
    let ping = try EnginePacket(parsing: "2probe")
    #expect(ping.type == .ping)
    #expect(ping.data == "probe")
    #expect(try EnginePacket(parsing: "42[\"x\"]").type == .message)
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "") }
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "9abc") }
  }
}
