// The HTTP + WebSocket server of `Simulate serve`, on SwiftNIO: GET / answers the page, GET /ws
// upgrades to the page's WebSocket. Loopback only unless told otherwise; every inbound message is
// capped; a bad message closes only its own connection.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TensorCore

/// Limits of the page's connections.
public struct LiveServerLimits: Sendable {
  /// Largest inbound WebSocket message (bytes); the page's commands are under 200.
  public var maxMessageBytes = 4096
  /// Camera frames a viewer may have unwritten before further frames are dropped for it.
  public var maxFramesInFlight = 2
  /// Camera frames per wall-clock second sent to the page, at most.
  public var maxFramesPerSecond = 20.0
  /// Open WebSocket connections, at most.
  public var maxViewers = 8

  public init() {}
}

/// Serves the live page and its WebSocket.
public final class LiveServer: Sendable {
  public let host: String
  public let port: Int
  let hub: LiveHub
  private let group: MultiThreadedEventLoopGroup
  private let channel: any Channel

  /// Binds `host:port` (port 0: any free one). Connections from addresses other than loopback
  /// are refused unless `allowRemote`. Commands go to `hub`; the session reads them from there.
  init(
    host: String, port: Int, allowRemote: Bool, limits: LiveServerLimits, hub: LiveHub
  ) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try Self.configure(channel, allowRemote: allowRemote, limits: limits, hub: hub)
        }
      }
    do {
      channel = try bootstrap.bind(host: host, port: port).wait()
    } catch {
      try? group.syncShutdownGracefully()
      throw SimulatorError.connection("cannot listen on \(host):\(port): \(error)")
    }
    self.group = group
    self.hub = hub
    self.host = host
    self.port = channel.localAddress?.port ?? port
  }

  /// The page's address.
  public var url: String {
    let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
    return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)/"
  }

  public func stop() {
    try? channel.close().wait()
    hub.closeAll()
    try? group.syncShutdownGracefully()
  }

  /// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x.
  package static func isLoopback(_ address: SocketAddress?) -> Bool {
    guard let ip = address?.ipAddress else { return false }
    if ip == "::1" { return true }
    let v4 = ip.hasPrefix("::ffff:") ? String(ip.dropFirst(7)) : ip
    return v4.hasPrefix("127.")
  }

  private static func configure(
    _ channel: any Channel, allowRemote: Bool, limits: LiveServerLimits, hub: LiveHub
  ) throws {
    guard allowRemote || isLoopback(channel.remoteAddress) else {
      channel.close(promise: nil)
      return
    }
    let upgrader = NIOWebSocketServerUpgrader(
      maxFrameSize: limits.maxMessageBytes, automaticErrorHandling: true,
      shouldUpgrade: { channel, head in
        let ok =
          head.uri == "/ws" && sameOrigin(head) && (allowRemote || loopbackHost(head))
          && hub.viewerCount < limits.maxViewers
        return channel.eventLoop.makeSucceededFuture(ok ? HTTPHeaders() : nil)
      },
      upgradePipelineHandler: { channel, _ in
        channel.eventLoop.makeCompletedFuture {
          let aggregator = NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64,
            maxAccumulatedFrameSize: limits.maxMessageBytes)
          try channel.pipeline.syncOperations.addHandlers([
            aggregator, LiveSocketHandler(hub: hub, limits: limits),
          ])
        }
      })
    let sync = channel.pipeline.syncOperations
    try sync.configureHTTPServerPipeline(
      withServerUpgrade: (
        upgraders: [upgrader],
        completionHandler: { context in context.pipeline.removeHandler(name: "live.http", promise: nil) }
      ), withErrorHandling: true)
    try sync.addHandler(LivePageHandler(), name: "live.http")
  }

  /// Loopback-only also means a loopback `Host`: a page whose name was rebound to 127.0.0.1 (DNS
  /// rebinding) sends its own name and must not reach the simulator.
  private static func loopbackHost(_ head: HTTPRequestHead) -> Bool {
    guard let host = head.headers["Host"].first else { return false }
    let name =
      host.hasPrefix("[") ? String(host.prefix { $0 != "]" }) + "]" : String(host.prefix { $0 != ":" })
    return name == "localhost" || name == "[::1]" || name.hasPrefix("127.")
  }

  /// A browser sends `Origin`; a page on another site must not drive this simulator
  /// (cross-site WebSocket hijacking), so the origin must be this server's own address.
  private static func sameOrigin(_ head: HTTPRequestHead) -> Bool {
    guard let origin = head.headers["Origin"].first else { return true }
    guard let host = head.headers["Host"].first else { return false }
    return origin == "http://\(host)"
  }
}

/// Plain HTTP: the page at `/`, 403 for a refused WebSocket, 404 elsewhere, 405 for anything but GET/HEAD.
final class LivePageHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart
  private var head: HTTPRequestHead?

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let h): head = h
    case .body: break
    case .end:
      guard let head else { return }
      self.head = nil
      let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
      if head.method != .GET && head.method != .HEAD {
        respond(context, head, .methodNotAllowed, "text/plain", "GET only\n")
      } else if path == "/ws" {
        // The upgrader passes on the upgrades it refused.
        respond(
          context, head, .forbidden, "text/plain", "WebSocket refused: foreign Origin or too many pages\n")
      } else if path == "/" || path == "/index.html" {
        respond(context, head, .ok, "text/html; charset=utf-8", LivePage.html)
      } else {
        respond(context, head, .notFound, "text/plain", "not found\n")
      }
    }
  }

  private func respond(
    _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus,
    _ type: String, _ body: String
  ) {
    var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
    buffer.writeString(body)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: type)
    headers.add(name: "Content-Length", value: "\(buffer.readableBytes)")
    headers.add(name: "Cache-Control", value: "no-store")
    // Everything is inline: nothing may load from elsewhere.
    headers.add(
      name: "Content-Security-Policy",
      value:
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'self'"
    )
    let keepAlive = request.isKeepAlive
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
      promise: nil)
    if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
    let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if !keepAlive {
      let channel = context.channel
      done.whenComplete { _ in channel.close(promise: nil) }
    }
  }
}

/// One page's WebSocket: text commands in, frames and state out (through the hub).
final class LiveSocketHandler: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame
  private let hub: LiveHub
  private let limits: LiveServerLimits
  private var viewer: LiveViewer?

  init(hub: LiveHub, limits: LiveServerLimits) {
    self.hub = hub
    self.limits = limits
  }

  func handlerAdded(context: ChannelHandlerContext) {
    let viewer = LiveViewer(channel: context.channel, maxInFlight: limits.maxFramesInFlight)
    self.viewer = viewer
    hub.add(viewer)
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    if let viewer { hub.remove(viewer) }
  }

  func channelInactive(context: ChannelHandlerContext) {
    if let viewer { hub.remove(viewer) }
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .text:
      let text = String(buffer: frame.unmaskedData)
      do {
        hub.received(try LiveCommand(json: text))
      } catch {
        hub.countRejected()
        close(context, code: .unacceptableData)
      }
    case .ping:
      let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
      context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
    case .connectionClose:
      close(context, code: .normalClosure)
    case .pong:
      break
    default:
      // Binary or stray continuation frames: the page never sends them.
      hub.countRejected()
      close(context, code: .unacceptableData)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    hub.countRejected()
    close(context, code: .protocolError)
  }

  private func close(_ context: ChannelHandlerContext, code: WebSocketErrorCode) {
    if let viewer { hub.remove(viewer) }
    var data = context.channel.allocator.buffer(capacity: 2)
    data.write(webSocketErrorCode: code)
    let channel = context.channel
    context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
      .whenComplete { _ in channel.close(promise: nil) }
  }
}

/// One open page. Sends never wait: a frame is dropped when `maxInFlight` are still unwritten.
final class LiveViewer: Sendable {
  let channel: any Channel
  var id: ObjectIdentifier { ObjectIdentifier(self) }
  private let maxInFlight: Int
  private let inFlight = Locked(0)
  /// Frames this viewer did not get because it was behind.
  let dropped = Locked(0)

  init(channel: any Channel, maxInFlight: Int) {
    self.channel = channel
    self.maxInFlight = maxInFlight
  }

  /// Sends `text` always (small, rare messages: hello, map).
  func send(text: String) {
    var buffer = channel.allocator.buffer(capacity: text.utf8.count)
    buffer.writeString(text)
    channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
  }

  /// Sends a camera frame and its state, or drops both if this viewer is behind.
  func send(jpeg: [UInt8]?, state: String) {
    let admitted = inFlight.withLock { n -> Bool in
      guard n < maxInFlight else { return false }
      n += 1
      return true
    }
    guard admitted, channel.isActive else {
      dropped.withLock { $0 += 1 }
      return
    }
    let inFlight = self.inFlight
    var stateBuffer = channel.allocator.buffer(capacity: state.utf8.count)
    stateBuffer.writeString(state)
    channel.write(WebSocketFrame(fin: true, opcode: .text, data: stateBuffer), promise: nil)
    var written: EventLoopFuture<Void>
    if let jpeg {
      var buffer = channel.allocator.buffer(capacity: jpeg.count)
      buffer.writeBytes(jpeg)
      written = channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: buffer))
    } else {
      written = channel.eventLoop.makeSucceededVoidFuture()
      channel.flush()
    }
    written.whenComplete { _ in inFlight.withLock { $0 -= 1 } }
  }
}

/// The open pages and the commands they sent, shared between the event loop and the simulation thread.
final class LiveHub: Sendable {
  private let viewers = Locked<[ObjectIdentifier: LiveViewer]>([:])
  private let commands = Locked<[LiveCommand]>([])
  private let rejected = Locked(0)
  /// Called on the event loop for each new viewer (the session sends hello and map).
  let greet: Locked<(@Sendable (LiveViewer) -> Void)?> = Locked(nil)

  var viewerCount: Int { viewers.withLock { $0.count } }
  /// Messages that closed their connection (bad JSON, binary, protocol errors).
  var rejectedMessages: Int { rejected.withLock { $0 } }

  func add(_ viewer: LiveViewer) {
    viewers.withLock { $0[viewer.id] = viewer }
    greet.withLock { $0 }?(viewer)
  }

  func remove(_ viewer: LiveViewer) { viewers.withLock { _ = $0.removeValue(forKey: viewer.id) } }

  func received(_ command: LiveCommand) { commands.withLock { $0.append(command) } }

  func countRejected() { rejected.withLock { $0 += 1 } }

  /// The commands since the last call, oldest first.
  func takeCommands() -> [LiveCommand] {
    commands.withLock {
      let taken = $0
      $0.removeAll()
      return taken
    }
  }

  var all: [LiveViewer] { viewers.withLock { Array($0.values) } }

  func closeAll() {
    for viewer in all { viewer.channel.close(promise: nil) }
  }
}
