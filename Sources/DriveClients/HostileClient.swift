#if canImport(Glibc)
  import Glibc
#endif

/// The ways a client can abuse the server (`Bench drive --hostile`, the abuse test).
package enum HostileKind: String, CaseIterable, Sendable {
  /// The upgrade request one byte per `byteInterval` (slowloris).
  case slowHandshake = "slow handshake"
  /// A request head far above `maxHeaderSize`.
  case hugeHeader = "huge header"
  /// One WebSocket frame announcing `frameBytes`.
  case hugeFrame = "huge frame"
  /// A `frameBytes` message in the simulator's 1016-byte fragments.
  case hugeFragmented = "huge fragmented message"
  /// Random bytes after the upgrade.
  case garbage = "garbage after upgrade"
  /// TCP connections that never send a byte.
  case halfOpenTCP = "half-open (TCP only)"
  /// Upgraded connections that then fall silent (no pongs, no reads).
  case halfOpenUpgraded = "half-open (upgraded, silent)"
  /// Connect / disconnect cycles, in four ways (close frame, reset, before the upgrade, plain close).
  case churn = "connect/disconnect cycles"
  /// Sends telemetry and large pings, never reads a reply.
  case nonReader = "never reads replies"
}

/// What the server did to a hostile client.
package struct HostileOutcome: Sendable, CustomStringConvertible {
  package var kind: HostileKind
  package var connections = 0
  /// Connections the server ended (close frame, HTTP error, end of stream or reset).
  package var closed = 0
  /// Longest time from connect to the server's close, in seconds.
  package var seconds = 0.0
  package var bytesSent = 0
  /// How the server ended them: `close 1009`, `HTTP 400`, `EOF`.
  package var endings: Set<String> = []
  /// Something that went differently than a bounded server would make it go (for the report).
  package var problems: [String] = []

  package var description: String {
    let how = endings.sorted().joined(separator: ", ")
    var line = "\(kind.rawValue): \(closed)/\(connections) closed by the server"
    line += String(format: " after at most %.2f s", seconds)
    line += " (\(how.isEmpty ? "-" : how)), \(bytesSent) bytes sent"
    if !problems.isEmpty { line += "; PROBLEMS: " + problems.prefix(3).joined(separator: "; ") }
    return line
  }
}

/// One hostile client (or a batch of the same kind). Blocking and bounded: every wait has a limit.
package struct HostileClient: Sendable {
  package var kind: HostileKind
  package var port: Int
  /// How long to wait for the server to close a connection before calling it unbounded.
  package var waitSeconds: Double
  /// Slow handshake: seconds between bytes.
  package var byteInterval = 1.0
  /// Huge frame / fragmented message size.
  package var frameBytes = 10_000_000
  /// Half-open connections, or churn cycles.
  package var count = 1
  /// Non-reader: the telemetry it sends, the size of its pings and when it gives up sending.
  package var telemetry = ""
  package var pingBytes = 256 * 1024
  package var maxSendBytes = 64 << 20

  package init(kind: HostileKind, port: Int, waitSeconds: Double) {
    self.kind = kind
    self.port = port
    self.waitSeconds = waitSeconds
  }

  package func run() -> HostileOutcome {
    var outcome = HostileOutcome(kind: kind)
    switch kind {
    case .slowHandshake: slowHandshake(&outcome)
    case .hugeHeader: hugeHeader(&outcome)
    case .hugeFrame, .hugeFragmented: hugeMessage(&outcome, fragmented: kind == .hugeFragmented)
    case .garbage: garbage(&outcome)
    case .halfOpenTCP, .halfOpenUpgraded: halfOpen(&outcome, upgrade: kind == .halfOpenUpgraded)
    case .churn: churn(&outcome)
    case .nonReader: nonReader(&outcome)
    }
    return outcome
  }

  private var path: String { "/socket.io/?EIO=4&transport=websocket" }

  private static func now() -> Double { Double(WireClient.monotonicMicroseconds()) / 1e6 }

  /// Waits for the server's close and records how and when it came.
  private func finish(_ client: WireClient, since start: Double, _ outcome: inout HostileOutcome) {
    let (bytes, closed) = client.awaitClose(seconds: max(0, waitSeconds - (Self.now() - start)))
    record(closed: closed, bytes: bytes, since: start, &outcome)
  }

  private func record(closed: Bool, bytes: [UInt8], since start: Double, _ outcome: inout HostileOutcome) {
    outcome.connections += 1
    guard closed else {
      outcome.problems.append("still open after \(waitSeconds) s")
      return
    }
    outcome.closed += 1
    outcome.seconds = max(outcome.seconds, Self.now() - start)
    outcome.endings.insert(Self.ending(bytes))
  }

  /// `HTTP <status>`, `close <code>` (the last close frame) or `EOF`.
  static func ending(_ bytes: [UInt8]) -> String {
    if bytes.starts(with: Array("HTTP/1.1 ".utf8)) {
      return "HTTP " + String(decoding: bytes.dropFirst(9).prefix(3), as: UTF8.self)
    }
    var i = 0
    var code: Int?
    while i + 2 <= bytes.count {
      let opcode = bytes[i] & 0x0f
      var length = Int(bytes[i + 1] & 0x7f)
      var offset = i + 2
      if length == 126, offset + 2 <= bytes.count {
        length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
        offset += 2
      } else if length == 127, offset + 8 <= bytes.count {
        length = bytes[offset..<(offset + 8)].reduce(0) { $0 << 8 | Int($1) }
        offset += 8
      }
      guard offset + length <= bytes.count else { break }
      if opcode == 8, length >= 2 { code = Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
      i = offset + length
    }
    return code.map { "close \($0)" } ?? "EOF"
  }

  private func slowHandshake(_ outcome: inout HostileOutcome) {
    let start = Self.now()
    guard let client = try? WireClient(port: port, path: nil, timeoutSeconds: 1) else {
      outcome.problems.append("cannot connect")
      return
    }
    let request = WireClient.upgradeRequest(path: path, host: "127.0.0.1", port: port)
    for byte in request {
      if client.peerHasClosed() { break }
      guard (try? client.sendRaw([byte])) != nil else { break }
      outcome.bytesSent += 1
      if outcome.bytesSent == request.count {
        outcome.problems.append("the whole handshake was accepted, one byte per \(byteInterval) s")
        client.abort()
        outcome.connections += 1
        return
      }
      usleep(UInt32(byteInterval * 1e6))
    }
    finish(client, since: start, &outcome)
  }

  private func hugeHeader(_ outcome: inout HostileOutcome) {
    let start = Self.now()
    guard let client = try? WireClient(port: port, path: nil, timeoutSeconds: 1) else {
      outcome.problems.append("cannot connect")
      return
    }
    var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    head += "X-Padding: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n"
    let bytes = Array(head.utf8)
    var sent = 0
    while sent < bytes.count,
      (try? client.sendRaw(Array(bytes[sent..<min(sent + 16384, bytes.count)]))) != nil
    {
      sent = min(sent + 16384, bytes.count)
    }
    outcome.bytesSent = sent
    finish(client, since: start, &outcome)
  }

  /// The simulator's client, upgraded (the open packet not read yet).
  private func upgraded(timeoutSeconds: Int = 10, receiveBufferSize: Int? = nil) -> WireClient? {
    try? WireClient(
      port: port, path: path, timeoutSeconds: timeoutSeconds, receiveBufferSize: receiveBufferSize)
  }

  private func hugeMessage(_ outcome: inout HostileOutcome, fragmented: Bool) {
    let start = Self.now()
    guard let client = upgraded(), (try? client.receiveText()) != nil else {
      outcome.problems.append("no upgrade")
      return
    }
    // Generated piece by piece: the client must not hold the message either.
    let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
    var sent = 0
    do {
      if fragmented {
        var index = 0
        while sent < frameBytes {
          var wire: [UInt8] = []
          for _ in 0..<64 where sent < frameBytes {
            let n = min(1016, frameBytes - sent)
            let fin = sent + n == frameBytes
            wire += WireClient.frame(opcode: index == 0 ? 1 : 0, fin: fin, payload: chunk[0..<n])
            sent += n
            index += 1
          }
          try client.sendRaw(wire)
          outcome.bytesSent += wire.count
        }
      } else {
        // The header announces the whole size; the payload follows in pieces.
        let header = Array(WireClient.frame(opcode: 1, fin: true, payload: [UInt8]()).prefix(1))
        var length: [UInt8] = [0x80 | 127]
        length += (0..<8).reversed().map { UInt8((frameBytes >> ($0 * 8)) & 0xff) }
        try client.sendRaw(header + length + [1, 2, 3, 4])
        outcome.bytesSent += 14
        while sent < frameBytes {
          let n = min(chunk.count, frameBytes - sent)
          try client.sendRaw(Array(chunk[0..<n]))
          sent += n
          outcome.bytesSent += n
        }
      }
    } catch {}
    finish(client, since: start, &outcome)
  }

  private func garbage(_ outcome: inout HostileOutcome) {
    let start = Self.now()
    guard let client = upgraded(), (try? client.receiveText()) != nil else {
      outcome.problems.append("no upgrade")
      return
    }
    // A fixed seed: the same bytes every run (the first byte has RSV bits set: 1002).
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let bytes = (0..<4096).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    if (try? client.sendRaw(bytes)) != nil { outcome.bytesSent = bytes.count }
    finish(client, since: start, &outcome)
  }

  private func halfOpen(_ outcome: inout HostileOutcome, upgrade: Bool) {
    var clients: [(WireClient, Double)] = []
    for _ in 0..<count {
      let start = Self.now()
      do {
        let client = try WireClient(port: port, path: upgrade ? path : nil, timeoutSeconds: 10)
        clients.append((client, start))
      } catch WireClient.Failure.closed {
        // Closed while upgrading: refused by the connection cap.
        record(closed: true, bytes: [], since: start, &outcome)
        outcome.endings.insert("refused")
      } catch {
        outcome.connections += 1
        outcome.problems.append("\(error)")
      }
    }
    for (client, start) in clients { finish(client, since: start, &outcome) }
  }

  private func churn(_ outcome: inout HostileOutcome) {
    var refused = 0
    for cycle in 0..<count {
      let start = Self.now()
      outcome.connections += 1
      do {
        switch cycle % 4 {
        case 0:
          let client = try WireClient(port: port, path: path, timeoutSeconds: 5)
          _ = try client.receiveText()
          try client.sendRaw(WireClient.frame(opcode: 8, fin: true, payload: [0x03, 0xe8]))
          let (bytes, closed) = client.awaitClose(seconds: 5)
          if !closed { outcome.problems.append("close handshake not completed") }
          outcome.endings.insert(Self.ending(bytes))
        case 1:
          let client = try WireClient(port: port, path: path, timeoutSeconds: 5)
          _ = try client.receiveText()
          client.abort()
        case 2:
          _ = try WireClient(port: port, path: nil, timeoutSeconds: 5)
        default:
          _ = try WireClient(port: port, path: path, timeoutSeconds: 5)
        }
        outcome.closed += 1
      } catch {
        // Refused by the connection cap (closed before the upgrade) or a real failure.
        refused += 1
      }
      outcome.seconds = max(outcome.seconds, Self.now() - start)
    }
    if refused > 0 { outcome.endings.insert("\(refused) refused") }
  }

  private func nonReader(_ outcome: inout HostileOutcome) {
    let start = Self.now()
    // A small receive window, so the server's queue is what fills up.
    guard let client = upgraded(timeoutSeconds: 2, receiveBufferSize: 4096) else {
      outcome.problems.append("no upgrade")
      return
    }
    let ping = "2" + String(repeating: "p", count: pingBytes)
    do {
      while outcome.bytesSent < maxSendBytes {
        try client.sendText(telemetry.isEmpty ? "2" : telemetry)
        try client.sendText(ping)
        outcome.bytesSent += telemetry.utf8.count + ping.utf8.count
      }
      outcome.problems.append("the server read all \(outcome.bytesSent) bytes")
    } catch {}
    let closed = client.awaitHangUp(seconds: max(0, waitSeconds - (Self.now() - start)))
    record(closed: closed, bytes: [], since: start, &outcome)
    outcome.endings = closed ? ["hang-up"] : []
  }
}
