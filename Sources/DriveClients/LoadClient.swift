import Drive

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One simulator-like client for load runs (`Bench drive --clients`, the abuse test): the
/// simulator's handshake, telemetry in 1016-byte fragments with string values, one telemetry in
/// flight, server pings answered. Blocking; run each on its own thread.
package struct LoadClient {
  package struct Result: Sendable {
    /// Round trips in ms (last telemetry byte sent -> reply received), timed frames only.
    package var roundTrips: [Double] = []
    package var sent = 0
    /// Replies that are a `steer` with two finite numbers, steering in -1...1.
    package var steers = 0
    package var manuals = 0
    /// Replies that are neither (a bug).
    package var invalid: [String] = []
    /// Why the client stopped early, if it did.
    package var failure: String?
    /// Paced runs: frames sent after their tick because the previous reply came later than it.
    package var late = 0
  }

  package var port: Int
  package var message: String
  package var frames: Int
  package var warmup = 0
  /// Paced (open-loop) sending, as the simulator does: one telemetry every `interval` seconds,
  /// the first `phase` seconds after the start, each only once the previous one was answered (one
  /// in flight; a late reply delays the next frame, which counts as late). nil: closed loop, each
  /// frame sent as soon as the previous reply arrives.
  package var interval: Double?
  package var phase = 0.0

  package init(port: Int, message: String, frames: Int, warmup: Int = 0) {
    self.port = port
    self.message = message
    self.frames = frames
    self.warmup = warmup
  }

  /// Connects and drives; `ready` is called once the open packet has arrived.
  package func run(ready: () -> Void = {}) -> Result {
    var result = Result()
    do {
      let client = try WireClient(port: port, timeoutSeconds: 30)
      let open = try client.receiveText()
      guard open.hasPrefix("0{") else { throw WireClient.Failure.handshake("open packet \(open.prefix(40))") }
      ready()
      let start = WireClient.monotonicMicroseconds()
      for i in 0..<(warmup + frames) {
        if let interval {
          let tick = start + UInt64((phase + Double(i) * interval) * 1e6)
          let now = WireClient.monotonicMicroseconds()
          if now < tick {
            usleep(UInt32(tick - now))
          } else if i > 0 {
            result.late += 1
          }
        }
        try client.sendText(message)
        result.sent += 1
        let reply = try nextReply(client)
        if i >= warmup {
          result.roundTrips.append(Double(WireClient.monotonicMicroseconds() - client.lastSendTime) / 1000)
        }
        if Self.isValidSteer(reply) {
          result.steers += 1
        } else if reply == SocketIOText.manual {
          result.manuals += 1
        } else {
          result.invalid.append(String(reply.prefix(80)))
        }
      }
      try client.sendRaw(WireClient.frame(opcode: 8, fin: true, payload: [0x03, 0xe8]))
      _ = client.awaitClose(seconds: 5)
    } catch {
      result.failure = "\(error)"
    }
    return result
  }

  /// The next Socket.IO event, answering the server's pings (`2` -> `3`) on the way.
  private func nextReply(_ client: WireClient) throws -> String {
    while true {
      let text = try client.receiveText()
      if text == "2" {
        try client.sendText("3")
      } else if text.hasPrefix("42") {
        return text
      }
    }
  }

  /// `42["steer",{"steering_angle":"s","throttle":"t"}]` with finite numbers, |s| <= 1.
  package static func isValidSteer(_ reply: String) -> Bool {
    let prefix = #"42["steer",{"steering_angle":""#
    guard reply.hasPrefix(prefix), reply.hasSuffix(#""}]"#) else { return false }
    let body = reply.dropFirst(prefix.count).dropLast(3)
    let parts = body.split(separator: "\"")
    guard parts.count == 5, parts[1] == ",", parts[2] == "throttle", parts[3] == ":",
      let s = Double(parts[0]), let t = Double(parts[4])
    else { return false }
    return s.isFinite && t.isFinite && abs(s) <= 1
  }
}
