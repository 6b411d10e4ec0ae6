import NIOCore

/// Bounds what the server queues for a client that does not read its replies. Above the
/// channel's high-water mark it stops reading from that client (no new requests, so no new
/// replies); below the low mark it reads again. If the queue stays above the mark for
/// `writeStallTimeout`, the client is closed. First in the pipeline, so it sees every read
/// request and every flush whatever the protocol (HTTP or WebSocket).
final class OutboundLimit: ChannelDuplexHandler {
  typealias InboundIn = NIOAny
  typealias InboundOut = NIOAny
  typealias OutboundIn = NIOAny
  typealias OutboundOut = NIOAny

  private let server: DriveServerCore
  private var pendingRead = false
  private var stall: Scheduled<Void>?

  init(server: DriveServerCore) {
    self.server = server
  }

  func read(context: ChannelHandlerContext) {
    if context.channel.isWritable {
      context.read()
    } else {
      pendingRead = true
    }
  }

  func flush(context: ChannelHandlerContext) {
    context.flush()
    if let bytes = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes), bytes > 0 {
      server.notePending(bytes)
    }
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if context.channel.isWritable {
      stall?.cancel()
      stall = nil
      if pendingRead {
        pendingRead = false
        context.read()
      }
    } else if stall == nil {
      let timeout = server.limits.writeStallTimeout
      let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
      stall = context.eventLoop.scheduleTask(in: timeout) { [server] in
        let context = loopBound.value
        let pending = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        server.count(\.stalled)
        server.logger.warning(
          "client has not read its replies for \(timeout.nanoseconds / 1_000_000) ms (\(pending) bytes queued); closing"
        )
        context.close(promise: nil)
      }
    }
    context.fireChannelWritabilityChanged()
  }

  func channelInactive(context: ChannelHandlerContext) {
    stall?.cancel()
    stall = nil
    context.fireChannelInactive()
  }
}
