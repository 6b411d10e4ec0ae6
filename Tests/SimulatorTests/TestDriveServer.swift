// A tiny Drive-like Socket.IO server for the protocol tests: it checks what the client sends the
// way the real server must accept it, and replies with strings (valid) or numbers (a protocol error).
import DrivingData
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

final class TestDriveServer: Sendable {
  enum Replies: Sendable {
    case strings, numbers, manual
    /// Strings, except that the 10th telemetry of the first connection gets a malformed event.
    case malformedOnce
    /// The steering strings in turn (sent as they are), each steer with `saliency` when given, as
    /// `Drive --saliency` adds it (the live page's tests).
    case sequence(steering: [String], saliency: String?)
  }

  /// What the server observed.
  struct Log: Sendable {
    var requestURI = ""
    var userAgent = ""
    var messages: [String] = []
    var telemetry = 0
    var badImages = 0
    var unmaskedFrames = 0
    var largestFragment = 0
    var fragmentedMessages = 0
    var nonStringValues = 0
    var connections = 0
  }

  let port: Int
  private let group: MultiThreadedEventLoopGroup
  private let channel: any Channel
  let log = NIOLockedValueBox(Log())

  init(replies: Replies, steering: Double = 0, throttle: Double = 0.3) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let log = self.log
    let upgrader = NIOWebSocketServerUpgrader(
      maxFrameSize: 1 << 24,
      shouldUpgrade: { channel, head in
        log.withLockedValue {
          $0.requestURI = head.uri
          $0.userAgent = head.headers["User-Agent"].first ?? ""
        }
        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
      },
      upgradePipelineHandler: { channel, _ in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            ServerSocketHandler(log: log, replies: replies, steering: steering, throttle: throttle))
        }
      })
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(
          withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
      }
    channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
    port = channel.localAddress!.port!
    self.group = group
  }

  func stop() {
    try? channel.close().wait()
    try? group.syncShutdownGracefully()
  }
}

private final class ServerSocketHandler: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame
  let log: NIOLockedValueBox<TestDriveServer.Log>
  let replies: TestDriveServer.Replies
  let steering: Double
  let throttle: Double
  private var message: ByteBuffer?
  private var fragments = 0
  private var replied = 0
  private let decoder = JPEGDecoder()

  init(
    log: NIOLockedValueBox<TestDriveServer.Log>, replies: TestDriveServer.Replies, steering: Double,
    throttle: Double
  ) {
    self.log = log
    self.replies = replies
    self.steering = steering
    self.throttle = throttle
  }

  func handlerAdded(context: ChannelHandlerContext) {
    log.withLockedValue { $0.connections += 1 }
    send(
      "0{\"sid\":\"0123456789abcdef\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":60000}", context)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    log.withLockedValue {
      if frame.maskKey == nil { $0.unmaskedFrames += 1 }
      $0.largestFragment = max($0.largestFragment, frame.length)
    }
    switch frame.opcode {
    case .text:
      message = frame.unmaskedData
      fragments = 1
    case .continuation:
      var part = frame.unmaskedData
      message?.writeBuffer(&part)
      fragments += 1
    case .connectionClose:
      context.close(promise: nil)
      return
    default:
      return
    }
    guard frame.fin, let buffer = message else { return }
    message = nil
    let text = String(buffer: buffer)
    let fragmented = fragments > 1
    log.withLockedValue {
      $0.messages.append(text.count > 200 ? String(text.prefix(200)) : text)
      if fragmented { $0.fragmentedMessages += 1 }
    }
    if text == "2" {
      send("3", context)
    } else if text.hasPrefix("42[\"telemetry\"") {
      checkTelemetry(text)
      switch replies {
      case .strings:
        send("42[\"steer\",{\"steering_angle\":\"\(steering)\",\"throttle\":\"\(throttle)\"}]", context)
      case .numbers:
        send("42[\"steer\",{\"steering_angle\":\(steering),\"throttle\":\(throttle)}]", context)
      case .manual:
        send("42[\"manual\",{}]", context)
      case .sequence(let values, let saliency):
        let steering = values[replied % values.count]
        replied += 1
        let extra = saliency.map { ",\"saliency\":\"\($0)\"" } ?? ""
        send(
          "42[\"steer\",{\"steering_angle\":\"\(steering)\",\"throttle\":\"\(throttle)\"\(extra)}]", context)
      case .malformedOnce:
        let (telemetry, connections) = log.withLockedValue { ($0.telemetry, $0.connections) }
        if telemetry == 10 && connections == 1 {
          send("42[\"steer\",\"not an object\"]", context)
        } else {
          send("42[\"steer\",{\"steering_angle\":\"\(steering)\",\"throttle\":\"\(throttle)\"}]", context)
        }
      }
    }
  }

  private func checkTelemetry(_ text: String) {
    let json = try? JSONSerialization.jsonObject(with: Data(text.dropFirst(2).utf8)) as? [Any]
    let data = json?.last as? [String: Any] ?? [:]
    let fields = ["steering_angle", "throttle", "speed", "image"]
    let strings = fields.allSatisfy { data[$0] is String }
    var imageOK = false
    if let b64 = data["image"] as? String, let bytes = Data(base64Encoded: b64),
      let image = try? decoder.decode([UInt8](bytes))
    {
      imageOK = image.width == 320 && image.height == 160
    }
    log.withLockedValue {
      $0.telemetry += 1
      if !strings { $0.nonStringValues += 1 }
      if !imageOK { $0.badImages += 1 }
    }
  }

  private func send(_ text: String, _ context: ChannelHandlerContext) {
    var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
    buffer.writeString(text)
    context.writeAndFlush(
      wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
  }
}
