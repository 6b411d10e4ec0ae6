import NIOCore
import NIOWebSocket

/// RFC 6455 5.1: a server must close a connection that sends an unmasked frame.
/// Sits before the fragment aggregator, which drops the masking information.
final class MaskedFrameCheck: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias InboundOut = WebSocketFrame

  struct UnmaskedFrame: Error {}

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard unwrapInboundIn(data).maskKey != nil else {
      context.fireErrorCaught(UnmaskedFrame())
      return
    }
    context.fireChannelRead(data)
  }
}
