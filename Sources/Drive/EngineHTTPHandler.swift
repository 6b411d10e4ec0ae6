import Logging
import NIOCore
import NIOHTTP1

/// Plain HTTP on the Socket.IO path: Engine.IO long-polling for generic clients (the simulator
/// never polls) and clear 400/404 answers for everything else. WebSocket upgrades never reach
/// here: `HTTPServerUpgradeHandler` takes them first (and passes refused ones on).
final class EngineHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let server: DriveServerCore
  private var head: HTTPRequestHead?
  private var body: ByteBuffer?
  private var tooLarge = false
  /// The long-poll this connection is holding open, if any.
  private var waiting: (session: EngineSession, promise: EventLoopPromise<[String]>)?
  /// Closes the connection unless a whole request arrives in time (armed between requests).
  private var deadline: Scheduled<Void>?

  init(server: DriveServerCore) {
    self.server = server
  }

  func handlerAdded(context: ChannelHandlerContext) {
    armDeadline(context: context)
  }

  /// Also the WebSocket upgrade's end: from then on the ping timeout watches the client.
  func handlerRemoved(context: ChannelHandlerContext) {
    deadline?.cancel()
    deadline = nil
  }

  private func armDeadline(context: ChannelHandlerContext) {
    deadline?.cancel()
    let timeout = server.limits.handshakeTimeout
    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
    deadline = context.eventLoop.scheduleTask(in: timeout) { [server] in
      server.count(\.handshakeTimeouts)
      server.logger.info("no complete request within \(timeout.nanoseconds / 1_000_000) ms; closing")
      loopBound.value.close(promise: nil)
    }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let part = unwrapInboundIn(data)
    if case .end = part {
      deadline?.cancel()
      deadline = nil
    }
    switch part {
    case .head(let h):
      head = h
      body = nil
      tooLarge = false
    case .body(var chunk):
      guard !tooLarge else { return }
      if (body?.readableBytes ?? 0) + chunk.readableBytes > server.settings.maxPayload {
        tooLarge = true
        body = nil
      } else if body == nil {
        body = chunk
      } else {
        body!.writeBuffer(&chunk)
      }
    case .end:
      guard let head else { return }
      self.head = nil
      handle(head, context: context)
    }
  }

  private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
    let request: EngineRequest
    do { request = try EngineRequest(uri: head.uri) } catch {
      respond(error == .notFound ? .notFound : .badRequest, error.body, head: head, context: context)
      return
    }
    guard request.transport == .polling else {
      // transport=websocket without a valid Upgrade.
      respond(.badRequest, EngineRequest.Rejection.badRequest.body, head: head, context: context)
      return
    }
    guard let sid = request.sid else {
      guard head.method == .GET else {
        respond(.badRequest, EngineRequest.Rejection.badRequest.body, head: head, context: context)
        return
      }
      let session = EngineSession(version: request.version, transport: .polling, server: server)
      server.registry.add(session)
      server.count(\.sessions)
      session.startTimer(on: context.eventLoop)
      let packets = session.handshakePackets(upgrades: ["websocket"])
      respond(.ok, EnginePayload.encode(packets, version: request.version), head: head, context: context)
      return
    }
    guard let session = server.registry.session(sid), session.version == request.version else {
      respond(.badRequest, EngineRequest.Rejection.unknownSession.body, head: head, context: context)
      return
    }
    switch head.method {
    case .GET: longPoll(session, head: head, context: context)
    case .POST: post(session, head: head, context: context)
    default: respond(.badRequest, EngineRequest.Rejection.badRequest.body, head: head, context: context)
    }
  }

  private func longPoll(_ session: EngineSession, head: HTTPRequestHead, context: ChannelHandlerContext) {
    let promise = context.eventLoop.makePromise(of: [String].self)
    guard session.poll(promise) else {
      promise.succeed([])
      respond(.badRequest, EngineRequest.Rejection.badRequest.body, head: head, context: context)
      return
    }
    waiting = (session, promise)
    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    promise.futureResult.whenSuccess { packets in
      let (handler, context) = loopBound.value
      handler.waiting = nil
      let body = EnginePayload.encode(packets, version: session.version)
      handler.respond(.ok, body, head: head, context: context)
    }
  }

  private func post(_ session: EngineSession, head: HTTPRequestHead, context: ChannelHandlerContext) {
    guard !tooLarge else {
      server.count(\.oversized)
      session.logger.warning("polling payload over \(server.settings.maxPayload) bytes; closing the session")
      session.close()
      respond(.payloadTooLarge, EngineRequest.Rejection.badRequest.body, head: head, context: context)
      return
    }
    let text = body.flatMap { String(bytes: $0.readableBytesView, encoding: .utf8) } ?? ""
    let packets: [String]
    do { packets = try EnginePayload.decode(text, version: session.version) } catch {
      server.count(\.malformed)
      session.logger.warning("\(error)")
      respond(.badRequest, EngineRequest.Rejection.badRequest.body, head: head, context: context)
      return
    }
    var replies: [String] = []
    var close = false
    for packet in packets {
      let reaction = session.receive(packet)
      replies += reaction.replies
      close = close || reaction.close
    }
    if !replies.isEmpty { session.deliver(replies) }
    if close { session.close() }
    respond(.ok, "ok", head: head, context: context)
  }

  private func respond(
    _ status: HTTPResponseStatus, _ text: String, head: HTTPRequestHead, context: ChannelHandlerContext
  ) {
    var headers = HTTPHeaders()
    let isJSON = status != .ok
    headers.add(name: "Content-Type", value: isJSON ? "application/json" : "text/plain; charset=UTF-8")
    headers.add(name: "Content-Length", value: String(text.utf8.count))
    let keepAlive = head.isKeepAlive
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
      promise: nil)
    context.write(
      wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
    let channel = context.channel
    if keepAlive { armDeadline(context: context) }
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
      if !keepAlive { channel.close(promise: nil) }
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    if let (session, promise) = waiting {
      waiting = nil
      // Only a poll the session still holds is ours to complete; its packets wait for the next one.
      if session.abandonPoll(promise) { promise.succeed([]) }
    }
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    server.logger.info("HTTP connection error \(error); closing")
    context.close(promise: nil)
  }
}
