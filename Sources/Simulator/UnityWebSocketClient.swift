// The Unity client's transport, rebuilt on SwiftNIO: a WebSocket to /socket.io/?EIO=4&transport=websocket
// (websocket-sharp's headers, no subprotocol, no extensions), masked text frames, every message over
// 1016 bytes fragmented into continuation frames, an Engine.IO ping `2` right after connecting and
// 25 s after each pong, `3` for every server `2`.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TensorCore

/// What the connection reports to the simulation thread.
enum ClientEvent: Sendable {
  /// The WebSocket is open (the Unity client raises `open` here: one telemetry chain).
  case socketOpen
  case packet(ServerPacket)
  case closed(String)
}

/// One WebSocket connection to a Drive server.
final class UnityWebSocketClient: Sendable {
  /// websocket-sharp fragments every message longer than this.
  static let fragmentSize = 1016
  static let path = "/socket.io/?EIO=4&transport=websocket"

  /// Unbounded in effect: the NIO event loop pushes and must never wait for the simulation thread.
  let events = BlockingQueue<ClientEvent>(capacity: .max)
  private let group: MultiThreadedEventLoopGroup
  private let channel: any Channel

  /// Connects and completes the WebSocket upgrade (or throws within `timeout` seconds).
  init(host: String, port: Int, timeout: Double = 5) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let events = self.events
    let upgraded = group.next().makePromise(of: Void.self)
    let bootstrap = ClientBootstrap(group: group)
      .connectTimeout(.milliseconds(Int64(timeout * 1000)))
      .channelInitializer { channel in
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: true) {
          channel, _ in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(UnitySocketHandler(events: events))
          }
        }
        let config: NIOHTTPClientUpgradeSendableConfiguration = (
          upgraders: [upgrader],
          completionHandler: { context in
            context.pipeline.removeHandler(name: "unity-upgrade-request", promise: nil)
            upgraded.succeed(())
          }
        )
        return channel.pipeline.addHTTPClientHandlers(
          leftOverBytesStrategy: .forwardBytes, withClientUpgrade: config
        ).flatMap {
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              UpgradeRequestHandler(host: host, port: port, upgraded: upgraded), name: "unity-upgrade-request"
            )
          }
        }
      }
    do {
      channel = try bootstrap.connect(host: host, port: port).wait()
    } catch {
      upgraded.fail(error)
      try? group.syncShutdownGracefully()
      throw SimulatorError.connection("cannot connect to \(host):\(port): \(error)")
    }
    self.group = group
    let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
      upgraded.fail(SimulatorError.connection("WebSocket upgrade timed out"))
    }
    do {
      try upgraded.futureResult.wait()
      deadline.cancel()
    } catch {
      close()
      throw (error as? SimulatorError) ?? SimulatorError.connection("WebSocket upgrade failed: \(error)")
    }
  }

  /// Sends one Engine.IO packet as masked text frames of at most 1016 bytes.
  func send(_ text: String) {
    let frames = UnityWebSocketClient.frames(for: text, allocator: channel.allocator)
    let channel = self.channel
    channel.eventLoop.execute {
      for frame in frames { channel.write(frame, promise: nil) }
      channel.flush()
    }
  }

  static func frames(for text: String, allocator: ByteBufferAllocator) -> [WebSocketFrame] {
    let bytes = Array(text.utf8)
    var frames: [WebSocketFrame] = []
    var start = 0
    repeat {
      let end = min(start + fragmentSize, bytes.count)
      var buffer = allocator.buffer(capacity: end - start)
      buffer.writeBytes(bytes[start..<end])
      frames.append(
        WebSocketFrame(
          fin: end == bytes.count, opcode: start == 0 ? .text : .continuation, maskKey: .random(),
          data: buffer))
      start = end
    } while start < bytes.count
    return frames
  }

  func close() {
    channel.close(promise: nil)
    try? group.syncShutdownGracefully()
  }
}

/// Sends the upgrade request as websocket-sharp does; fails the upgrade on any other answer.
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPClientResponsePart
  typealias OutboundOut = HTTPClientRequestPart
  let host: String
  let port: Int
  let upgraded: EventLoopPromise<Void>

  init(host: String, port: Int, upgraded: EventLoopPromise<Void>) {
    self.host = host
    self.port = port
    self.upgraded = upgraded
  }

  func channelActive(context: ChannelHandlerContext) {
    var headers = HTTPHeaders()
    headers.add(name: "Host", value: "\(host):\(port)")
    headers.add(name: "User-Agent", value: "websocket-sharp/1.0")
    let head = HTTPRequestHead(
      version: .http1_1, method: .GET, uri: UnityWebSocketClient.path, headers: headers)
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    context.fireChannelActive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head(let response) = unwrapInboundIn(data) {
      upgraded.fail(SimulatorError.connection("server answered \(response.status.code) instead of 101"))
      context.close(promise: nil)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    upgraded.fail(SimulatorError.connection("WebSocket upgrade failed: \(error)"))
    context.close(promise: nil)
  }
}

/// After the upgrade: reassembles fragmented messages, answers pings, reports packets.
private final class UnitySocketHandler: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame
  static let pingInterval = TimeAmount.seconds(25)
  let events: BlockingQueue<ClientEvent>
  private var message: ByteBuffer?
  private var closedReported = false

  init(events: BlockingQueue<ClientEvent>) { self.events = events }

  func handlerAdded(context: ChannelHandlerContext) {
    events.push(.socketOpen)
    send("2", context: context)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .text:
      message = frame.unmaskedData
      if frame.fin { deliver(context: context) }
    case .continuation:
      guard message != nil else { return }
      var part = frame.unmaskedData
      message!.writeBuffer(&part)
      if frame.fin { deliver(context: context) }
    case .ping:
      let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
      context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
    case .connectionClose:
      var data = frame.data
      let code = data.readWebSocketErrorCode()
      report(closed: "server closed the WebSocket (\(code.map { "\($0)" } ?? "no code"))")
      let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer())
      let channel = context.channel
      context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
    default:
      break  // binary frames and pongs are ignored
    }
  }

  private func deliver(context: ChannelHandlerContext) {
    guard let buffer = message else { return }
    message = nil
    let text = String(buffer: buffer)
    let packet = ServerPacket(text: text)
    switch packet {
    case .ping:
      send("3", context: context)
    case .pong:
      // Written from the channel (the tail of the pipeline), so no handler state crosses the closure.
      let channel = context.channel
      context.eventLoop.scheduleTask(in: UnitySocketHandler.pingInterval) {
        guard channel.isActive else { return }
        for frame in UnityWebSocketClient.frames(for: "2", allocator: channel.allocator) {
          channel.write(frame, promise: nil)
        }
        channel.flush()
      }
    default:
      events.push(.packet(packet))
    }
  }

  private func send(_ text: String, context: ChannelHandlerContext) {
    for frame in UnityWebSocketClient.frames(for: text, allocator: context.channel.allocator) {
      context.write(wrapOutboundOut(frame), promise: nil)
    }
    context.flush()
  }

  private func report(closed why: String) {
    guard !closedReported else { return }
    closedReported = true
    events.push(.closed(why))
  }

  func channelInactive(context: ChannelHandlerContext) {
    report(closed: "connection closed")
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    report(closed: "connection error: \(error)")
    context.close(promise: nil)
  }
}
