import DriveClients
import Foundation
import Testing

@testable import Drive

/// Long-polling and HTTP errors, spoken byte by byte (the Python clients cover the happy paths).
@Suite(.serialized) struct EngineHTTPHandlerTests {
  struct Response {
    var status: Int
    var body: String
  }

  func request(_ port: Int, _ method: String, _ path: String, body: String = "") throws -> Response {
    // A generous timeout: a held poll waits for the test's next requests on a loaded machine.
    let client = try WireClient(port: port, path: nil, timeoutSeconds: 30)
    let bytes = Array(body.utf8)
    let head =
      "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      + "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: \(bytes.count)\r\n\r\n"
    try client.sendRaw(Array(head.utf8) + bytes)
    let text = String(decoding: client.readUntilClosed(), as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? -1
    return Response(status: status, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
  }

  @Test func rejectsWithEngineIOCodes() async throws {
    let server = try await startServer()
    let port = server.localPort
    #expect(try request(port, "GET", "/index.html").status == 404)
    let version = try request(port, "GET", "/socket.io/?EIO=5&transport=polling")
    #expect(version.status == 400)
    #expect(version.body.contains(#""code":5"#))
    #expect(try request(port, "GET", "/socket.io/?EIO=4&transport=websocket").status == 400)
    let unknown = try request(port, "GET", "/socket.io/?EIO=4&transport=polling&sid=nope")
    #expect(unknown.status == 400)
    #expect(unknown.body.contains(#""code":1"#))
    #expect(try request(port, "POST", "/socket.io/?EIO=4&transport=polling", body: "2").status == 400)
    let garbage = try WireClient(port: port, path: nil, timeoutSeconds: 5)
    try garbage.sendRaw(Array("NOT HTTP AT ALL\r\n\r\n".utf8))
    #expect(String(decoding: garbage.readUntilClosed(), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
    try await server.stop()
  }

  @Test func eio3PollingHandshakeAndTelemetry() async throws {
    let server = try await startServer()
    let port = server.localPort
    let open = try request(port, "GET", "/socket.io/?EIO=3&transport=polling&t=abc")
    #expect(open.status == 200)
    let packets = try EnginePayload.decode(open.body, version: .v3)
    #expect(packets.count == 2)
    #expect(packets[0].hasPrefix(#"0{"sid":""#))
    #expect(packets[0].contains(#""upgrades":["websocket"]"#))
    #expect(packets[1] == "40")
    let sid = try #require(
      (try JSONSerialization.jsonObject(with: Data(packets[0].dropFirst().utf8)) as? [String: Any])?["sid"]
        as? String)
    let path = "/socket.io/?EIO=3&transport=polling&sid=\(sid)"
    let telemetry = Fixtures.telemetry()
    let body = EnginePayload.encode(["2", telemetry, #"42["telemetry",null]"#], version: .v3)
    #expect(try request(port, "POST", path, body: body).body == "ok")
    let replies = try EnginePayload.decode(try request(port, "GET", path).body, version: .v3)
    #expect(replies.count == 3)
    #expect(replies[0] == "3")
    #expect(replies[1].hasPrefix(#"42["steer""#))
    #expect(replies[2] == #"42["manual",{}]"#)
    #expect(try request(port, "POST", path, body: "99:short").status == 400)
    #expect(try request(port, "POST", path, body: "1:1").body == "ok")  // close
    #expect(try request(port, "GET", path).status == 400)
    try await server.stop()
  }

  @Test func eio4PollingLongPollIsReleasedByAPost() async throws {
    let server = try await startServer()
    let port = server.localPort
    let open = try request(port, "GET", "/socket.io/?EIO=4&transport=polling")
    let packets = try EnginePayload.decode(open.body, version: .v4)
    #expect(packets.count == 1)
    #expect(packets[0].contains(#""maxPayload":1000000"#))
    let sid = try #require(
      (try JSONSerialization.jsonObject(with: Data(packets[0].dropFirst().utf8)) as? [String: Any])?["sid"]
        as? String)
    let path = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
    // A GET waits; a second concurrent GET is refused; a POST releases the first.
    // The held GET blocks a thread of its own, started here: a task could wait behind other tests'
    // blocking work on the cooperative pool until after the second GET, which would then be held.
    let (held, heldDone) = AsyncThrowingStream<Response, any Error>.makeStream()
    Thread.detachNewThread {
      heldDone.yield(with: Result { try request(port, "GET", path) })
      heldDone.finish()
    }
    // Wait for the session to hold that GET (a fixed pause could let the second GET arrive first).
    for _ in 0..<6000 where server.core.registry.session(sid)?.isHoldingPoll != true {
      try await Task.sleep(for: .milliseconds(5))
    }
    #expect(try request(port, "GET", path).status == 400)
    #expect(try request(port, "POST", path, body: "40\u{1e}" + Fixtures.telemetry()).body == "ok")
    var heldReply = held.makeAsyncIterator()
    let released = try #require(try await heldReply.next())
    let replies = try EnginePayload.decode(released.body, version: .v4)
    #expect(replies.first == #"40{"sid":"\#(sid)"}"#)
    #expect(replies.count == 2)
    #expect(replies.last?.hasPrefix(#"42["steer""#) == true)
    try await server.stop()
  }

  @Test func oversizedPollingPostIsRefused() async throws {
    let server = try await startServer(maxMessageSize: 10_000)
    let port = server.localPort
    let open = try request(port, "GET", "/socket.io/?EIO=4&transport=polling")
    let sid = try #require(open.body.split(separator: "\"").dropFirst(3).first.map(String.init))
    let response = try request(
      port, "POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)",
      body: Fixtures.telemetry(image: String(repeating: "A", count: 20_000)))
    #expect(response.status == 413)
    #expect(server.sessionCount == 0)
    try await server.stop()
  }
}
