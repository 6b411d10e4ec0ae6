import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Counts of what the server has done since it started (for tests, benches and logs).
public struct DriveStatistics: Sendable, Equatable {
  /// Connections accepted (HTTP or WebSocket).
  public var connections = 0
  /// Engine.IO sessions opened.
  public var sessions = 0
  /// `telemetry` events received, including null and broken ones.
  public var telemetry = 0
  /// Replies: `steer` and `manual`. Every telemetry gets exactly one, so these add up to `telemetry`.
  public var steer = 0
  public var manual = 0
  /// Packets, frames or telemetry that could not be used (logged).
  public var malformed = 0
  /// Connections closed because a message exceeded the size limit.
  public var oversized = 0
  /// Pongs (`3`) received: answers to the server's pings (EIO4).
  public var pongs = 0
  /// Connections closed at once because `maxConnections` were open.
  public var refused = 0
  /// Connections closed because a request (or the upgrade) did not arrive within `handshakeTimeout`.
  public var handshakeTimeouts = 0
  /// Connections closed because their replies stayed queued for `writeStallTimeout`.
  public var stalled = 0
  /// The most bytes ever queued for sending on one connection.
  public var peakOutboundBytes = 0
  /// Times the server went idle and gave memory back (`Configuration.idleMemoryRelease`).
  public var idleMemoryReleases = 0
}

/// Everything the connection handlers share: the autopilot, settings, sessions and counters.
package final class DriveServerCore: Sendable {
  package let autopilot: Autopilot
  package let settings: EngineSettings
  package let limits: ConnectionLimits
  package let logger: Logger
  package let registry = SessionRegistry()
  package let onFrame: (@Sendable (FrameReport) -> Void)?
  private let statistics = NIOLockedValueBox(DriveStatistics())
  /// Open connections, whether the cap was hit since it was last below it (logged once), and
  /// whether an idle memory release is scheduled.
  private let open = NIOLockedValueBox(
    (count: 0, full: false, releaseScheduled: false, closedSinceRelease: 0))

  package init(
    autopilot: Autopilot, settings: EngineSettings, limits: ConnectionLimits, logger: Logger,
    onFrame: (@Sendable (FrameReport) -> Void)?
  ) {
    self.autopilot = autopilot
    self.settings = settings
    self.limits = limits
    self.logger = logger
    self.onFrame = onFrame
  }

  package func count(_ counter: WritableKeyPath<DriveStatistics, Int>) {
    statistics.withLockedValue { $0[keyPath: counter] += 1 }
  }

  package var snapshot: DriveStatistics { statistics.withLockedValue { $0 } }

  package func notePending(_ bytes: Int) {
    statistics.withLockedValue { $0.peakOutboundBytes = max($0.peakOutboundBytes, bytes) }
  }

  /// Counts a new connection in, or refuses it when `maxConnections` are open.
  package func admit(_ channel: Channel) -> Bool {
    let (admitted, firstRefusal) = open.withLockedValue { open -> (Bool, Bool) in
      guard open.count < limits.maxConnections else {
        defer { open.full = true }
        return (false, !open.full)
      }
      open.count += 1
      open.full = false
      return (true, false)
    }
    guard admitted else {
      count(\.refused)
      if firstRefusal {
        logger.warning("\(limits.maxConnections) connections open (maxConnections); refusing new ones")
      }
      return false
    }
    let eventLoop = channel.eventLoop
    channel.closeFuture.whenComplete { [self] _ in
      let becameIdle = self.open.withLockedValue { open -> Bool in
        open.count -= 1
        open.closedSinceRelease += 1
        guard open.count == 0, !open.releaseScheduled, limits.idleMemoryRelease != nil else { return false }
        open.releaseScheduled = true
        return true
      }
      if becameIdle, let delay = limits.idleMemoryRelease {
        eventLoop.scheduleTask(in: delay) { self.releaseMemoryIfIdle() }
      }
    }
    return true
  }

  /// One release per idle period, however many connections came and went before it: a churn of
  /// short connections schedules one, and a connection open when it fires cancels it (the next
  /// close to zero schedules another).
  private func releaseMemoryIfIdle() {
    let idle = open.withLockedValue { open -> Bool in
      open.releaseScheduled = false
      guard open.count == 0 else { return false }
      open.closedSinceRelease = 0
      return true
    }
    guard idle else { return }
    ProcessMemory.release()
    count(\.idleMemoryReleases)
  }

  package var openConnections: Int { open.withLockedValue { $0.count } }

  /// No connection open, and memory released since the last one closed.
  package var isIdleAndReleased: Bool {
    open.withLockedValue { $0.count == 0 && $0.closedSinceRelease == 0 }
  }
}

/// Sessions by id, so polling requests and upgrade probes on new connections find their client.
package final class SessionRegistry: Sendable {
  private let sessions = NIOLockedValueBox([String: EngineSession]())

  package func add(_ session: EngineSession) {
    sessions.withLockedValue { $0[session.sid] = session }
  }

  package func remove(_ session: EngineSession) {
    sessions.withLockedValue { _ = $0.removeValue(forKey: session.sid) }
  }

  package func session(_ sid: String) -> EngineSession? {
    sessions.withLockedValue { $0[sid] }
  }

  package var count: Int { sessions.withLockedValue { $0.count } }

  package func closeAll() {
    for session in sessions.withLockedValue({ Array($0.values) }) { session.close() }
  }
}

/// The query of a `/socket.io/` request: `EIO`, `transport`, `sid` (`t` and others are ignored).
package struct EngineRequest: Sendable {
  package enum TransportName: String, Sendable {
    case polling
    case websocket
  }

  package var version: EngineIOVersion
  package var transport: TransportName
  package var sid: String?

  /// Engine.IO's error codes, returned as `{"code":N,"message":"..."}` with HTTP 400.
  package enum Rejection: Error {
    case notFound
    case unknownTransport
    case unknownSession
    case badRequest
    case unsupportedVersion

    var body: String {
      switch self {
      case .notFound: #"{"code":3,"message":"Bad request"}"#
      case .unknownTransport: #"{"code":0,"message":"Transport unknown"}"#
      case .unknownSession: #"{"code":1,"message":"Session ID unknown"}"#
      case .badRequest: #"{"code":3,"message":"Bad request"}"#
      case .unsupportedVersion: #"{"code":5,"message":"Unsupported protocol version"}"#
      }
    }
  }

  package init(uri: String) throws(Rejection) {
    let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let path = parts[0]
    guard path == "/socket.io/" || path == "/socket.io" else { throw .notFound }
    var query: [Substring: Substring] = [:]
    if parts.count == 2 {
      for item in parts[1].split(separator: "&") {
        let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        query[kv[0]] = kv.count == 2 ? kv[1] : ""
      }
    }
    switch query["EIO"] {
    case "3": version = .v3
    case "4": version = .v4
    default: throw .unsupportedVersion
    }
    guard let t = query["transport"], let transport = TransportName(rawValue: String(t)) else {
      throw .unknownTransport
    }
    self.transport = transport
    sid = query["sid"].map(String.init)
  }
}
