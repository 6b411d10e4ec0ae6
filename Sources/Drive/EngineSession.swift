import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// Ping timing and limits announced in the open packet.
package struct EngineSettings: Sendable {
  package var pingInterval: TimeAmount
  package var pingTimeout: TimeAmount
  package var maxPayload: Int

  package init(pingInterval: TimeAmount, pingTimeout: TimeAmount, maxPayload: Int) {
    self.pingInterval = pingInterval
    self.pingTimeout = pingTimeout
    self.maxPayload = maxPayload
  }
}

/// One Engine.IO client (one car). Its transport is a WebSocket, or long-polling until the client
/// upgrades. State is guarded by one lock because polling requests arrive on any connection;
/// replies are computed under the lock and written outside it.
package final class EngineSession: @unchecked Sendable {
  package enum Transport {
    case polling
    case webSocket(Channel)
  }

  package let sid: String
  package let version: EngineIOVersion
  let server: DriveServerCore
  let logger: Logger
  private let lock = NIOLock()
  // Guarded by `lock`:
  private var transport: Transport
  private var outbox: [String] = []
  private var pendingPoll: EventLoopPromise<[String]>?
  private var lastSeen = NIODeadline.now()
  private var closed = false
  private var timer: RepeatedTask?
  private var namespaceConnected = false
  let car: Autopilot.Car

  package init(version: EngineIOVersion, transport: Transport, server: DriveServerCore) {
    sid = Self.makeSID()
    self.version = version
    self.transport = transport
    self.server = server
    car = server.autopilot.makeCar()
    var logger = server.logger
    logger[metadataKey: "sid"] = "\(sid)"
    self.logger = logger
  }

  /// 20 URL-safe random characters, like engine.io's ids.
  static func makeSID() -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    var rng = SystemRandomNumberGenerator()
    return String((0..<20).map { _ in alphabet[Int(rng.next() % 64)] })
  }

  package var isClosed: Bool { lock.withLock { closed } }
  /// Whether a long-poll GET is waiting for packets (tests wait for it instead of sleeping).
  package var isHoldingPoll: Bool { lock.withLock { pendingPoll != nil } }
  package var isWebSocket: Bool {
    lock.withLock {
      if case .webSocket = transport { return true }
      return false
    }
  }

  /// The handshake: the open packet, then `40` for EIO3 clients (python-socketio 4.x fires
  /// `connect` on it; the simulator ignores it). EIO4 clients must ask with `40` themselves.
  package func handshakePackets(upgrades: [String]) -> [String] {
    var open = #"0{"sid":""# + sid + #"","upgrades":["#
    open += upgrades.map { "\"\($0)\"" }.joined(separator: ",") + "],"
    open += #""pingInterval":\#(server.settings.pingInterval.nanoseconds / 1_000_000),"#
    open += #""pingTimeout":\#(server.settings.pingTimeout.nanoseconds / 1_000_000)"#
    if version == .v4 { open += #","maxPayload":\#(server.settings.maxPayload)"# }
    open += "}"
    return version == .v3 ? [open, "40"] : [open]
  }

  /// Pings (EIO4: the server pings) and the liveness check, every `pingInterval`.
  package func startTimer(on loop: EventLoop) {
    let interval = server.settings.pingInterval
    let task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
      self?.tick()
    }
    lock.withLock { timer = task }
  }

  private func tick() {
    let settings = server.settings
    let (expired, releasePoll) = lock.withLock { () -> (Bool, Bool) in
      guard !closed else { return (false, false) }
      let silent = NIODeadline.now() - lastSeen
      let expired = silent > settings.pingInterval + settings.pingTimeout
      return (expired, version == .v3 && pendingPoll != nil)
    }
    if expired {
      logger.info("no packet for pingInterval + pingTimeout; closing")
      close()
    } else if version == .v4 {
      deliver(["2"])
    } else if releasePoll {
      deliver(["6"])
    }
  }

  /// Sends server-initiated packets on the current transport.
  package func deliver(_ packets: [String]) {
    let (channel, poll, batch) = lock.withLock { () -> (Channel?, EventLoopPromise<[String]>?, [String]) in
      guard !closed else { return (nil, nil, []) }
      switch transport {
      case .webSocket(let channel):
        return (channel, nil, packets)
      case .polling:
        outbox += packets
        guard let poll = pendingPoll else { return (nil, nil, []) }
        pendingPoll = nil
        defer { outbox.removeAll() }
        return (nil, poll, outbox)
      }
    }
    if let channel { Self.write(packets: batch, to: channel) }
    poll?.succeed(batch)
  }

  static func write(packets: [String], to channel: Channel) {
    for packet in packets {
      let buffer = channel.allocator.buffer(string: packet)
      channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }
  }

  /// A long-poll GET: answered now if packets wait, else when one is delivered.
  /// Returns false if this session does not poll (upgraded, closed, or a poll is already open).
  package func poll(_ promise: EventLoopPromise<[String]>) -> Bool {
    let ready = lock.withLock { () -> [String]?? in
      guard !closed, case .polling = transport, pendingPoll == nil else { return .none }
      lastSeen = .now()
      if outbox.isEmpty {
        pendingPoll = promise
        return .some(nil)
      }
      defer { outbox.removeAll() }
      return .some(outbox)
    }
    switch ready {
    case .none: return false
    case .some(.none): return true
    case .some(.some(let packets)):
      promise.succeed(packets)
      return true
    }
  }

  /// The connection carrying `promise` went away: keep its packets for the next poll.
  /// Returns true if the session still held it (the caller then completes it).
  package func abandonPoll(_ promise: EventLoopPromise<[String]>) -> Bool {
    lock.withLock {
      guard pendingPoll?.futureResult === promise.futureResult else { return false }
      pendingPoll = nil
      return true
    }
  }

  /// After `2probe`/`3probe`, the client's `5`: from now on packets go over `channel`.
  package func completeUpgrade(to channel: Channel) {
    let (poll, queued) = lock.withLock { () -> (EventLoopPromise<[String]>?, [String]) in
      guard !closed, case .polling = transport else { return (nil, []) }
      transport = .webSocket(channel)
      let poll = pendingPoll
      pendingPoll = nil
      defer { outbox.removeAll() }
      return (poll, outbox)
    }
    poll?.succeed(["6"])
    Self.write(packets: queued, to: channel)
  }

  /// Releases a waiting poll with a noop, as engine.io does when a probe succeeds.
  package func releasePollForProbe() {
    let poll = lock.withLock { () -> EventLoopPromise<[String]>? in
      defer { pendingPoll = nil }
      return pendingPoll
    }
    poll?.succeed(["6"])
  }

  /// Ends the session: its WebSocket is closed, a waiting poll gets `1` (close).
  package func close() {
    let (poll, channel, task) = lock.withLock {
      () -> (EventLoopPromise<[String]>?, Channel?, RepeatedTask?) in
      guard !closed else { return (nil, nil, nil) }
      closed = true
      defer { pendingPoll = nil }
      if case .webSocket(let channel) = transport { return (pendingPoll, channel, timer) }
      return (pendingPoll, nil, timer)
    }
    server.registry.remove(self)
    task?.cancel()
    poll?.succeed(["1"])
    channel?.close(promise: nil)
  }

  /// Processes one incoming packet and returns the replies for the same transport.
  /// Telemetry is answered here, under the session lock, so each car's frames stay in order.
  package func receive(_ text: String) -> Reaction {
    lock.withLock {
      lastSeen = .now()
      return react(to: text)
    }
  }

  /// What one incoming packet produced.
  package struct Reaction {
    package var replies: [String] = []
    package var frame: SteerDecision?
    package var close = false
    package var upgrade = false
  }

  private func react(to text: String) -> Reaction {
    var reaction = Reaction()
    let packet: EnginePacket
    do { packet = try EnginePacket(parsing: text) } catch {
      server.count(\.malformed)
      logger.warning("\(error)")
      return reaction
    }
    switch packet.type {
    case .ping:
      reaction.replies.append("3" + packet.data)
    case .pong:
      server.count(\.pongs)
    case .noop, .open:
      break
    case .upgrade:
      reaction.upgrade = true
    case .close:
      reaction.close = true
    case .message:
      reactToSocketIO(packet.data, &reaction)
    }
    return reaction
  }

  private func reactToSocketIO(_ data: Substring, _ reaction: inout Reaction) {
    if let fields = SocketIOPacket.simulatorTelemetry(data) {
      answerTelemetry([fields], &reaction)
      return
    }
    let packet: SocketIOPacket
    do { packet = try SocketIOPacket(parsing: data) } catch {
      server.count(\.malformed)
      // A broken telemetry still gets its answer, or the simulator's request chain would stop.
      if data.hasPrefix(#"2["telemetry""#) {
        server.count(\.telemetry)
        server.count(\.manual)
        reaction.replies.append(SocketIOText.manual)
      }
      logger.warning("\(error)")
      return
    }
    switch packet.kind {
    case .connect:
      if packet.namespace != "/" {
        let message = version == .v4 ? #"{"message":"Invalid namespace"}"# : #""Invalid namespace""#
        reaction.replies.append("44\(packet.namespace),\(message)")
      } else if version == .v4 {
        namespaceConnected = true
        reaction.replies.append(#"40{"sid":""# + sid + #""}"#)
      }
    case .event:
      guard packet.namespace == "/" else {
        logger.warning("event on unknown namespace \(packet.namespace) ignored")
        return
      }
      let event: (name: String, arguments: [Any])
      do { event = try packet.event() } catch {
        server.count(\.malformed)
        logger.warning("\(error)")
        return
      }
      guard event.name == "telemetry" else {
        logger.debug("event \(event.name) ignored")
        return
      }
      answerTelemetry(event.arguments, &reaction)
    case .disconnect, .ack, .connectError, .binaryEvent, .binaryAck:
      break
    }
  }

  private func answerTelemetry(_ arguments: [Any], _ reaction: inout Reaction) {
    let answer = server.autopilot.respond(to: arguments, car: car)
    server.count(\.telemetry)
    server.count(answer.steer == nil ? \.manual : \.steer)
    if let error = answer.error {
      server.count(\.malformed)
      logger.warning("answered manual: \(error)")
    }
    reaction.replies.append(answer.reply)
    reaction.frame = answer.steer
  }
}
