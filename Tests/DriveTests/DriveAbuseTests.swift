import ConvNet
import DriveClients
import Foundation
import Logging
import ModelFile
import Testing

@testable import Drive

/// Good simulator-like clients next to every kind of hostile one (issue #13, section 5): every
/// good telemetry is answered, every hostile connection is closed or bounded, and the server's
/// sockets and sessions return to their baseline. Deadlines are short here but every wait is
/// event-based with generous limits; no assertion is about speed.
@Suite(.serialized) struct DriveAbuseTests {
  static let handshakeTimeout = 3.0
  static let pingInterval = 0.5
  /// Long, so a good client on a starved machine is never mistaken for a silent one.
  static let pingTimeout = 10.0
  static let maxMessageSize = 256 * 1024
  static let highWaterMark = 64 * 1024

  func startServer(maxConnections: Int = 512, handshakeTimeout: Double = handshakeTimeout) async throws
    -> DriveServer
  {
    var logger = Logger(label: "drive.abuse")
    logger.logLevel = ProcessInfo.processInfo.environment["BC_TEST_LOG"] == nil ? .critical : .debug
    let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: 1)
    let predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let configuration = DriveServer.Configuration(
      port: 0, maxMessageSize: Self.maxMessageSize,
      pingInterval: .milliseconds(Int64(Self.pingInterval * 1000)),
      pingTimeout: .milliseconds(Int64(Self.pingTimeout * 1000)), threads: 2,
      handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)), maxHeaderSize: 8 * 1024,
      maxConnections: maxConnections, outboundHighWaterMark: Self.highWaterMark,
      writeStallTimeout: .seconds(1))
    return try await DriveServer(
      configuration: configuration, autopilot: Autopilot(predictor: predictor), logger: logger)
  }

  /// Runs `body` on its own thread (the clients block).
  func thread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { continuation.resume(returning: body()) }
    }
  }

  /// Polls `condition` every 20 ms for at most `seconds`; true once it holds.
  func eventually(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
  }

  @Test(.timeLimit(.minutes(3))) func goodClientsAreServedWhileHostileOnesAreBounded() async throws {
    let server = try await startServer()
    let port = server.localPort
    let baselineSockets = ProcessCensus.sockets(localPort: port)
    #expect(baselineSockets == 1, "the listener")
    let message = Fixtures.telemetry()
    let goodClients = 6
    let frames = 60
    // Generous: far beyond any deadline above, so only an unbounded connection reaches it.
    let wait = 60.0

    var hostile: [HostileClient] = []
    for kind in HostileKind.allCases {
      var client = HostileClient(kind: kind, port: port, waitSeconds: wait)
      client.byteInterval = 0.25
      client.frameBytes = 10_000_000
      client.telemetry = message
      client.pingBytes = Self.maxMessageSize / 2
      client.count = kind == .churn ? 1000 : kind == .halfOpenTCP ? 50 : 20
      hostile.append(client)
    }
    async let good = withTaskGroup(of: LoadClient.Result.self) { group in
      for _ in 0..<goodClients {
        group.addTask { await thread { LoadClient(port: port, message: message, frames: frames).run() } }
      }
      return await group.reduce(into: []) { $0.append($1) }
    }
    async let outcomes = withTaskGroup(of: HostileOutcome.self) { group in
      for client in hostile { group.addTask { await thread { client.run() } } }
      return await group.reduce(into: [HostileOutcome]()) { $0.append($1) }
    }
    let (results, hostileOutcomes) = await (good, outcomes)

    for result in results {
      #expect(result.failure == nil)
      #expect(result.steers == frames, "every telemetry answered with a valid steer")
      #expect(result.invalid.isEmpty, "\(result.invalid.prefix(2))")
    }
    for outcome in hostileOutcomes {
      #expect(outcome.problems.isEmpty, "\(outcome)")
      #expect(outcome.closed == outcome.connections, "\(outcome)")
    }
    let byKind = Dictionary(uniqueKeysWithValues: hostileOutcomes.map { ($0.kind, $0) })
    #expect(byKind[.slowHandshake]?.bytesSent ?? 0 < 100, "closed long before the request was complete")
    #expect(byKind[.hugeHeader]?.endings.contains("HTTP 101") == false)
    #expect(byKind[.garbage]?.endings.isSubset(of: ["close 1002", "close 1009", "EOF"]) == true)
    let stats = server.statistics
    #expect(stats.handshakeTimeouts >= 1 + 50, "the slow handshake and every TCP-only connection")
    #expect(stats.oversized >= 2, "the huge frame and the huge fragmented message")
    #expect(stats.stalled >= 1, "the client that never reads")
    // The queue stops growing once the server stops reading: the mark, plus the replies to what
    // was already read (one read event: 4 reads of at most 64 KiB) and one aggregated message.
    let bound = Self.highWaterMark + Self.maxMessageSize + 4 * 64 * 1024
    #expect(stats.peakOutboundBytes <= bound, "\(stats.peakOutboundBytes) bytes queued for one client")
    #expect(stats.steer + stats.manual == stats.telemetry)

    // Still serving after the storm.
    let after = await thread { LoadClient(port: port, message: message, frames: 3).run() }
    #expect(after.steers == 3)

    // Everything the clients opened is gone on the server side too.
    #expect(try await eventually(seconds: wait) { server.connectionCount == 0 && server.sessionCount == 0 })
    #expect(try await eventually(seconds: wait) { ProcessCensus.sockets(localPort: port) == baselineSockets })
    try await server.stop()
  }

  @Test(.timeLimit(.minutes(1))) func abandonedUpgradeProbeIsClosed() async throws {
    let server = try await startServer(handshakeTimeout: 1)
    let port = server.localPort
    let closed = await thread { () -> Bool in
      // A polling session, then a WebSocket probe for it that never says `2probe`.
      guard let polling = try? WireClient(port: port, path: nil, timeoutSeconds: 10) else { return false }
      let request =
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
      guard (try? polling.sendRaw(Array(request.utf8))) != nil else { return false }
      let response = String(decoding: polling.readUntilClosed(), as: UTF8.self)
      guard let start = response.range(of: #""sid":""#)?.upperBound,
        let end = response[start...].firstIndex(of: "\"")
      else { return false }
      let path = "/socket.io/?EIO=4&transport=websocket&sid=\(response[start..<end])"
      guard let probe = try? WireClient(port: port, path: path, timeoutSeconds: 1) else { return false }
      return probe.awaitClose(seconds: 30).closed
    }
    #expect(closed, "the silent probe is closed")
    #expect(server.statistics.handshakeTimeouts >= 1)
    try await server.stop()
  }

  @Test(.timeLimit(.minutes(1))) func connectionsOverTheCapAreRefused() async throws {
    let cap = 8
    let server = try await startServer(maxConnections: cap, handshakeTimeout: 60)
    let port = server.localPort
    var held: [WireClient] = []
    for _ in 0..<cap { held.append(try WireClient(port: port, path: nil, timeoutSeconds: 10)) }
    #expect(try await eventually(seconds: 30) { server.connectionCount == cap })
    let closedByServer = await thread {
      let clients = (0..<5).compactMap { _ in try? WireClient(port: port, path: nil, timeoutSeconds: 1) }
      let deadline = Date().addingTimeInterval(30)
      return clients.count { $0.awaitClose(seconds: max(0, deadline.timeIntervalSinceNow)).closed }
    }
    #expect(closedByServer == 5, "connections over the cap are closed")
    #expect(server.statistics.refused == 5)
    #expect(server.connectionCount == cap)
    held.removeAll()
    #expect(try await eventually(seconds: 30) { server.connectionCount == 0 })
    let message = Fixtures.telemetry()
    let result = await thread { LoadClient(port: port, message: message, frames: 2).run() }
    #expect(result.steers == 2, "served again once below the cap")
    try await server.stop()
  }
}
