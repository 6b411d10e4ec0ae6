import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The Socket.IO server the Udacity simulator connects to (`ws://127.0.0.1:4567/socket.io/?EIO=4`).
///
/// It speaks the simulator's Engine.IO 3 / Socket.IO 2 dialect behind the `EIO=4` URL, and standard
/// EIO3 and EIO4 clients over WebSocket or long-polling. Every telemetry gets exactly one reply:
/// `steer` from the autopilot, or `manual` when there is nothing to steer by.
public final class DriveServer: Sendable {
  public struct Configuration: Sendable {
    /// 127.0.0.1 by default; the simulator cannot reach an IPv6-only `::1` listener.
    public var host: String
    /// 4567 is hard-coded in the simulator; 0 picks a free port (tests).
    public var port: Int
    /// Largest accepted message after reassembly; a larger one closes that connection (1009).
    public var maxMessageSize: Int
    public var pingInterval: TimeAmount
    /// The simulator pings every 25 s; a client is dropped after pingInterval + pingTimeout of silence.
    public var pingTimeout: TimeAmount
    /// Event-loop threads. Predictions run on them (serialized by one lock).
    public var threads: Int
    /// Time a connection has to send a whole HTTP request (the WebSocket upgrade, or a polling
    /// request and its body), counted from accept or from the previous response. A client
    /// trickling its handshake (slowloris) is closed when it runs out.
    public var handshakeTimeout: TimeAmount
    /// Largest request head (header names and values); larger ones get 431 and are closed.
    /// The simulator's upgrade request is about 250 bytes.
    public var maxHeaderSize: Int
    /// Open connections at most; further ones are closed at once (logged), so idle sockets cannot
    /// use up the process's descriptors. One simulator uses one connection.
    public var maxConnections: Int
    /// Replies waiting in one connection's send queue above which the server stops reading from
    /// that client (it resumes below half of it). A simulator has one ~70-byte reply in flight.
    public var outboundHighWaterMark: Int
    /// A client whose send queue stays above the mark this long is closed: it is not reading.
    public var writeStallTimeout: TimeAmount
    /// About this long after the last connection closes, if none is open then, memory the
    /// allocator kept from the connections is given back (`ProcessMemory.release`), so the process returns to
    /// its baseline between drives instead of keeping the high-water mark of every burst.
    /// nil: never.
    public var idleMemoryRelease: TimeAmount?

    public init(
      host: String = "127.0.0.1", port: Int = 4567, maxMessageSize: Int = 1_000_000,
      pingInterval: TimeAmount = .seconds(25), pingTimeout: TimeAmount = .seconds(60),
      threads: Int = min(System.coreCount, 4), handshakeTimeout: TimeAmount = .seconds(10),
      maxHeaderSize: Int = 16 * 1024, maxConnections: Int = 256, outboundHighWaterMark: Int = 64 * 1024,
      writeStallTimeout: TimeAmount = .seconds(10), idleMemoryRelease: TimeAmount? = .seconds(1)
    ) {
      self.host = host
      self.port = port
      self.maxMessageSize = maxMessageSize
      self.pingInterval = pingInterval
      self.pingTimeout = pingTimeout
      self.threads = threads
      self.handshakeTimeout = handshakeTimeout
      self.maxHeaderSize = maxHeaderSize
      self.maxConnections = maxConnections
      self.outboundHighWaterMark = outboundHighWaterMark
      self.writeStallTimeout = writeStallTimeout
      self.idleMemoryRelease = idleMemoryRelease
    }
  }

  public let configuration: Configuration
  let core: DriveServerCore
  private let group: MultiThreadedEventLoopGroup
  private let channel: Channel

  /// Binds and starts serving. `onFrame` is called after each `steer` is written (from an event-loop
  /// thread; keep it short).
  public init(
    configuration: Configuration = Configuration(), autopilot: Autopilot,
    logger: Logger = Logger(label: "drive"), onFrame: (@Sendable (FrameReport) -> Void)? = nil
  ) async throws {
    self.configuration = configuration
    let settings = EngineSettings(
      pingInterval: configuration.pingInterval, pingTimeout: configuration.pingTimeout,
      maxPayload: configuration.maxMessageSize)
    let limits = ConnectionLimits(configuration)
    let core = DriveServerCore(
      autopilot: autopilot, settings: settings, limits: limits, logger: logger, onFrame: onFrame)
    self.core = core
    let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
    self.group = group
    let bootstrap = ServerBootstrap(group: group)
      // A burst of connections (1,000s of reconnects, an idle-socket flood) waits in the kernel's
      // queue while the loops run predictions; drain it in large batches so SYNs are not dropped.
      .serverChannelOption(.backlog, value: 1024)
      .serverChannelOption(.maxMessagesPerRead, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelOption(
        .writeBufferWaterMark,
        value: .init(low: limits.outboundHighWaterMark / 2, high: limits.outboundHighWaterMark)
      )
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try Self.configure(channel, core: core)
        }
      }
    do {
      channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
    } catch {
      try? await group.shutdownGracefully()
      throw DriveError.io(
        path: "\(configuration.host):\(configuration.port)", reason: "cannot listen: \(error)")
    }
    logger.info("listening on \(configuration.host):\(localPort)")
  }

  /// The bound port (useful with `port: 0`).
  public var localPort: Int { channel.localAddress?.port ?? configuration.port }

  public var statistics: DriveStatistics { core.snapshot }

  /// Open Engine.IO sessions.
  public var sessionCount: Int { core.registry.count }

  /// Open connections (HTTP, WebSocket, and ones not yet past their handshake).
  public var connectionCount: Int { core.openConnections }

  /// True when no connection is open and the idle memory release ran after the last one closed
  /// (`Configuration.idleMemoryRelease`): the moment to compare the process's RSS with its baseline.
  public var isIdleAndReleased: Bool { core.isIdleAndReleased }

  /// Closes the listener and every session, and stops the threads.
  public func stop() async throws {
    try? await channel.close()
    core.registry.closeAll()
    try await group.shutdownGracefully()
  }

  /// Sets up one accepted connection's pipeline (package: the fuzz targets drive it on an EmbeddedChannel).
  package static func configure(_ channel: Channel, core: DriveServerCore) throws {
    core.count(\.connections)
    guard core.admit(channel) else {
      try channel.pipeline.syncOperations.addHandler(Refusal())
      return
    }
    let limit = core.settings.maxPayload
    let upgrader = NIOWebSocketServerUpgrader(
      maxFrameSize: limit, automaticErrorHandling: true,
      shouldUpgrade: { channel, head in
        // No subprotocol or extension headers: the simulator rejects a 101 that carries them.
        channel.eventLoop.makeSucceededFuture(Self.acceptsUpgrade(head, core: core) ? HTTPHeaders() : nil)
      },
      upgradePipelineHandler: { channel, head in
        channel.eventLoop.makeCompletedFuture {
          try Self.upgraded(channel, head: head, core: core)
        }
      })
    let sync = channel.pipeline.syncOperations
    try sync.addHandler(OutboundLimit(server: core))
    var headLimits = NIOHTTPDecoderLimitConfiguration()
    headLimits.maxHeaderListSize = core.limits.maxHeaderSize
    headLimits.maxHeaderFieldSize = core.limits.maxHeaderSize
    try sync.configureHTTPServerPipeline(
      withServerUpgrade: (
        upgraders: [upgrader],
        completionHandler: { context in
          context.pipeline.removeHandler(name: "engine.http", promise: nil)
        }
      ), withErrorHandling: true, withEncoderConfiguration: .init(),
      withDecoderLimitConfiguration: headLimits)
    try sync.addHandler(EngineHTTPHandler(server: core), name: "engine.http")
  }

  private static func acceptsUpgrade(_ head: HTTPRequestHead, core: DriveServerCore) -> Bool {
    guard let request = try? EngineRequest(uri: head.uri), request.transport == .websocket else {
      return false
    }
    guard let sid = request.sid else { return true }
    guard let session = core.registry.session(sid) else { return false }
    return session.version == request.version && !session.isWebSocket && !session.isClosed
  }

  private static func upgraded(_ channel: Channel, head: HTTPRequestHead, core: DriveServerCore) throws {
    let request = try EngineRequest(uri: head.uri)
    let limit = core.settings.maxPayload
    let aggregator = NIOWebSocketFrameAggregator(
      minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 1 + limit / 256, maxAccumulatedFrameSize: limit)
    let handler: EngineWebSocketHandler
    if let sid = request.sid {
      guard let session = core.registry.session(sid) else { throw EngineRequest.Rejection.unknownSession }
      handler = EngineWebSocketHandler(session: session, server: core, probing: true)
    } else {
      let session = EngineSession(version: request.version, transport: .webSocket(channel), server: core)
      core.registry.add(session)
      core.count(\.sessions)
      handler = EngineWebSocketHandler(session: session, server: core, probing: false)
    }
    try channel.pipeline.syncOperations.addHandlers([ClientFrameUnmasker(), aggregator, handler])
  }
}

/// Closes a connection over `maxConnections` as soon as it is registered.
final class Refusal: ChannelInboundHandler {
  typealias InboundIn = NIOAny

  func channelActive(context: ChannelHandlerContext) {
    context.close(promise: nil)
  }
}
