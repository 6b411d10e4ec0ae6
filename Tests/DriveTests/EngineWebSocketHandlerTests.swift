import DriveClients
import Foundation
import Testing

@testable import Drive

/// Bad input over WebSocket: every case is answered or closed cleanly, and the server keeps
/// serving other clients.
@Suite(.serialized) struct EngineWebSocketHandlerTests {
  /// Connects like the simulator and consumes the open packet.
  func simulator(_ server: DriveServer) throws -> WireClient {
    let client = try WireClient(port: server.localPort)
    let open = try client.receiveText()
    #expect(open.hasPrefix(#"0{"sid":""#))
    return client
  }

  /// A fresh simulator connection still gets a steer for a good frame.
  func expectStillServing(_ server: DriveServer) throws {
    let client = try simulator(server)
    try client.sendText(Fixtures.telemetry())
    #expect(try client.receiveText().hasPrefix(#"42["steer",{"steering_angle":""#))
  }

  func expectClose(_ client: WireClient, code: UInt16) throws {
    while true {
      let frame = try client.receive()
      if frame.opcode == 8 {
        #expect(frame.payload.count >= 2)
        #expect(UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) == code)
        return
      }
    }
  }

  @Test func handshakeHasNoSubprotocolOrExtensions() async throws {
    let server = try await startServer()
    let client = try WireClient(port: server.localPort)
    let head = client.responseHead.lowercased()
    #expect(head.hasPrefix("http/1.1 101"))
    #expect(!head.contains("sec-websocket-protocol"))
    #expect(!head.contains("sec-websocket-extensions"))
    #expect(head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="))
    try await server.stop()
  }

  @Test func telemetryBeforeOpenAndPingAreAnswered() async throws {
    let server = try await startServer()
    let client = try WireClient(port: server.localPort)
    // The simulator may write before reading anything.
    try client.sendText("2")
    try client.sendText(Fixtures.telemetry())
    var texts: [String] = []
    for _ in 0..<3 { texts.append(try client.receiveText()) }
    #expect(texts[0].hasPrefix("0{"))
    #expect(texts[1] == "3")
    #expect(texts[2].hasPrefix(#"42["steer""#))
    try await server.stop()
  }

  @Test func malformedTelemetryGetsManual() async throws {
    let server = try await startServer()
    let client = try simulator(server)
    let jpeg = Fixtures.cameraJPEG
    let cases = [
      #"42["telemetry",{"speed":"1.0","image":"/9j/4AAQ"#,  // truncated JSON
      Fixtures.telemetry(image: "!!!not base64!!!"),
      Fixtures.telemetry(image: jpeg.prefix(jpeg.count / 3).base64EncodedString()),  // corrupt JPEG
      Fixtures.telemetry(
        image: Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).base64EncodedString()),
      Fixtures.telemetry(speed: "fast"),
      #"42["telemetry",{"speed":"1.0"}]"#,
      #"42["telemetry",5]"#,
      #"42["telemetry",null]"#,
      #"42["telemetry"]"#,
    ]
    for text in cases {
      try client.sendText(text)
      #expect(try client.receiveText() == #"42["manual",{}]"#, "for \(text.prefix(60))")
    }
    // Garbage that is not telemetry is logged and ignored; the next frame is answered normally.
    for text in ["9xyz", "4", "4x", "42{}", #"42["steer"]"#, "45-", "43[]", "41", "6", "1x"]
    where text != "1x" {
      try client.sendText(text)
    }
    try client.sendText(Fixtures.telemetry())
    #expect(try client.receiveText().hasPrefix(#"42["steer""#))
    let stats = server.statistics
    #expect(stats.telemetry == cases.count + 1)
    #expect(stats.manual == cases.count)
    #expect(stats.steer == 1)
    try await server.stop()
  }

  @Test func commaLocaleAndNumbersAreRead() async throws {
    let frames = FrameLog()
    let server = try await startServer(onFrame: { frames.append($0) })
    let client = try simulator(server)
    try client.sendText(Fixtures.telemetry(speed: "12,5000"))
    _ = try client.receiveText()
    try client.sendText(Fixtures.telemetry(speed: "-0.0000"))
    _ = try client.receiveText()
    let image = Fixtures.cameraJPEG.base64EncodedString()
    try client.sendText(#"42["telemetry",{"speed":3.5,"image":""# + image + #""}]"#)
    _ = try client.receiveText()
    try await server.stop()
    #expect(frames.reports.map(\.speed) == [12.5, 0, 3.5])
  }

  @Test func ackIDsAndNamespaces() async throws {
    let server = try await startServer()
    let client = try simulator(server)
    try client.sendText("421" + Fixtures.telemetry().dropFirst(2))
    #expect(try client.receiveText().hasPrefix(#"42["steer""#))
    try client.sendText("40")
    #expect(try client.receiveText().hasPrefix(#"40{"sid":""#))
    try client.sendText("40/admin,")
    #expect(try client.receiveText() == #"44/admin,{"message":"Invalid namespace"}"#)
    try await server.stop()
  }

  @Test func oversizedMessageClosesOnlyThatConnection() async throws {
    let server = try await startServer(maxMessageSize: 64 * 1024)
    let big = Fixtures.telemetry(image: String(repeating: "A", count: 100_000))
    let fragmented = try simulator(server)
    try fragmented.sendText(big)
    try expectClose(fragmented, code: 1009)
    let single = try simulator(server)
    try single.sendText(big, fragmentSize: 1 << 20)
    try expectClose(single, code: 1009)
    try expectStillServing(server)
    #expect(server.statistics.oversized == 2)
    try await server.stop()
  }

  @Test func protocolViolationsClose() async throws {
    let server = try await startServer()
    let binary = try simulator(server)
    try binary.sendRaw(WireClient.frame(opcode: 2, fin: true, payload: [1, 2, 3]))
    try expectClose(binary, code: 1003)
    let notUTF8 = try simulator(server)
    try notUTF8.sendRaw(WireClient.frame(opcode: 1, fin: true, payload: [0x34, 0x32, 0xff, 0xfe]))
    try expectClose(notUTF8, code: 1007)
    let strayContinuation = try simulator(server)
    try strayContinuation.sendRaw(WireClient.frame(opcode: 0, fin: true, payload: Array("x".utf8)))
    try expectClose(strayContinuation, code: 1002)
    let unmaskedGarbage = try simulator(server)
    try unmaskedGarbage.sendRaw([0x81, 0x01] + Array("2".utf8))  // clients must mask
    try expectClose(unmaskedGarbage, code: 1002)
    try expectStillServing(server)
    try await server.stop()
  }

  @Test func clientVanishingMidMessage() async throws {
    let server = try await startServer()
    for _ in 0..<3 {
      let client = try simulator(server)
      let bytes = Array(Fixtures.telemetry().utf8)
      try client.sendRaw(WireClient.frame(opcode: 1, fin: false, payload: bytes[0..<1016]))
      try client.sendRaw(WireClient.frame(opcode: 0, fin: false, payload: bytes[1016..<2032]))
      client.abort()
    }
    try expectStillServing(server)
    // Sessions of vanished clients are gone (the last serving client is still open).
    for _ in 0..<1500 where server.sessionCount > 1 { try await Task.sleep(for: .milliseconds(20)) }
    #expect(server.sessionCount <= 1)
    try await server.stop()
  }

  @Test func closeHandshakeIsEchoed() async throws {
    let server = try await startServer()
    let client = try simulator(server)
    try client.sendRaw(WireClient.frame(opcode: 8, fin: true, payload: [0x03, 0xe8]))
    try expectClose(client, code: 1000)
    try await server.stop()
  }

  @Test func twentyClientsAtOnce() async throws {
    let server = try await startServer()
    let port = server.localPort
    let telemetry = Fixtures.telemetry()
    let answered = try await withThrowingTaskGroup(of: Int.self) { group in
      for _ in 0..<20 {
        group.addTask {
          try await Task.detached {
            let client = try WireClient(port: port)
            _ = try client.receiveText()
            var steers = 0
            for _ in 0..<10 {
              try client.sendText(telemetry)
              if try client.receiveText().hasPrefix(#"42["steer""#) { steers += 1 }
            }
            return steers
          }.value
        }
      }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(answered == Array(repeating: 10, count: 20))
    let stats = server.statistics
    #expect(stats.telemetry == 200)
    #expect(stats.steer == 200)
    #expect(stats.sessions == 20)
    try await server.stop()
  }

  @Test func failingPredictorStillAnswers() async throws {
    let server = try await startServer(predictor: FailingPredictor())
    let client = try simulator(server)
    try client.sendText(Fixtures.telemetry())
    #expect(try client.receiveText() == #"42["manual",{}]"#)
    try await server.stop()
  }

  @Test func serverPingsAreAnswered() async throws {
    let server = try await startServer(pingInterval: 50)
    let client = try simulator(server)
    // EIO4: the server pings every pingInterval; the simulator answers 3.
    var pings = 0
    while pings < 3 {
      if try client.receiveText() == "2" {
        pings += 1
        try client.sendText("3")
      }
    }
    #expect(server.statistics.pongs >= 2)
    try await server.stop()
  }

  @Test func silentClientIsDroppedAfterPingTimeout() async throws {
    let server = try await startServer(pingInterval: 50, pingTimeout: 50)
    let client = try simulator(server)
    let start = Date()
    // Never answer: the server closes after pingInterval + pingTimeout without a packet.
    while true {
      do {
        if try client.receive().opcode == 8 { break }
      } catch { break }
    }
    #expect(Date().timeIntervalSince(start) >= 0.09)
    #expect(server.sessionCount == 0)
    try await server.stop()
  }
}

/// Collects frame reports from the server's threads.
final class FrameLog: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [FrameReport] = []
  func append(_ report: FrameReport) { lock.withLock { storage.append(report) } }
  var reports: [FrameReport] { lock.withLock { storage } }
}
