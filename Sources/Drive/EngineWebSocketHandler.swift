import Foundation
import Logging
import NIOCore
import NIOWebSocket

/// One WebSocket connection after the upgrade (fragments already joined by
/// `NIOWebSocketFrameAggregator`). Either a fresh session (the simulator's way in) or the upgrade
/// probe of a polling session.
final class EngineWebSocketHandler: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame

  private let session: EngineSession
  private let server: DriveServerCore
  /// True while this socket is only probing an upgrade of a polling session.
  private var probing: Bool
  private var closing = false

  init(session: EngineSession, server: DriveServerCore, probing: Bool) {
    self.session = session
    self.server = server
    self.probing = probing
  }

  /// A probe must finish (`2probe`, `5`) within the handshake timeout: the polling session's
  /// timer does not watch this socket.
  private var probeDeadline: Scheduled<Void>?

  func handlerAdded(context: ChannelHandlerContext) {
    guard !probing else {
      let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
      probeDeadline = context.eventLoop.scheduleTask(in: server.limits.handshakeTimeout) {
        let (handler, context) = loopBound.value
        guard handler.probing else { return }
        handler.server.count(\.handshakeTimeouts)
        handler.session.logger.info("upgrade probe not completed in time; closing it")
        handler.close(context: context, code: .policyViolation)
      }
      return
    }
    for packet in session.handshakePackets(upgrades: []) { send(packet, context: context) }
    session.startTimer(on: context.eventLoop)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    // After our close frame, the rest of what the client sent is dropped unread.
    guard !closing else { return }
    let received = NIODeadline.now()
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .text:
      let payload = frame.unmaskedData
      guard let text = String(bytes: payload.readableBytesView, encoding: .utf8) else {
        server.count(\.malformed)
        session.logger.warning("text frame is not UTF-8; closing")
        close(context: context, code: .dataInconsistentWithMessage)
        return
      }
      handle(text, received: received, context: context)
    case .binary:
      server.count(\.malformed)
      session.logger.warning("binary frame (unsupported); closing")
      close(context: context, code: .unacceptableData)
    case .ping:
      let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
      context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
    case .connectionClose:
      // Echo the close handshake, then drop the connection.
      var data = frame.unmaskedData
      let code = data.readWebSocketErrorCode() ?? .normalClosure
      close(context: context, code: code)
    default:
      break
    }
  }

  private func handle(_ text: String, received: NIODeadline, context: ChannelHandlerContext) {
    if probing {
      if text == "2probe" {
        send("3probe", context: context)
        session.releasePollForProbe()
      } else if text == "5" {
        probing = false
        session.completeUpgrade(to: context.channel)
      } else {
        session.logger.warning("unexpected packet during upgrade probe: \(EnginePacket.preview(text))")
      }
      return
    }
    let reaction = session.receive(text)
    for reply in reaction.replies { send(reply, context: context) }
    if let frame = reaction.frame, let onFrame = server.onFrame {
      let latency = Double((NIODeadline.now() - received).nanoseconds) / 1e9
      onFrame(
        FrameReport(
          session: session.sid, steering: frame.steering, throttle: frame.throttle, speed: frame.speed,
          latencySeconds: latency))
    }
    if reaction.close {
      session.close()
    }
  }

  private func send(_ text: String, context: ChannelHandlerContext) {
    let buffer = context.channel.allocator.buffer(string: text)
    context.writeAndFlush(
      wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
  }

  private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
    guard !closing else { return }
    closing = true
    var data = context.channel.allocator.buffer(capacity: 2)
    data.write(webSocketErrorCode: code)
    let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    let channel = context.channel
    context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    // Frames already buffered behind the one that made us close (the rest of an oversized
    // message) fail too; the connection is going away, so they are not counted again.
    guard !closing else { return }
    if let error = error as? NIOWebSocketFrameAggregator.Error {
      switch error {
      case .accumulatedFrameSizeIsTooLarge, .tooManyFragments:
        server.count(\.oversized)
        session.logger.warning("message over \(server.settings.maxPayload) bytes; closing")
        close(context: context, code: .messageTooLarge)
      default:
        server.count(\.malformed)
        session.logger.warning("fragmentation error \(error); closing")
        close(context: context, code: .protocolError)
      }
    } else if error is ClientFrameUnmasker.UnmaskedFrame {
      server.count(\.malformed)
      session.logger.warning("unmasked client frame; closing")
      close(context: context, code: .protocolError)
    } else if let error = error as? NIOWebSocketError {
      // WebSocketProtocolErrorHandler has already sent the close frame.
      closing = true
      if case .invalidFrameLength = error { server.count(\.oversized) } else { server.count(\.malformed) }
      session.logger.warning("WebSocket protocol error \(error); closing")
    } else {
      closing = true
      session.logger.info("connection error \(error); closing")
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    probeDeadline?.cancel()
    // A probe that never completed leaves the polling session alone.
    if !probing { session.close() }
    context.fireChannelInactive()
  }
}
