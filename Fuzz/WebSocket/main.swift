// libFuzzer target: raw bytes from a client after a WebSocket upgrade -> the server's real pipeline
// (frame decoder, masking check, fragment aggregator, Engine.IO handler) on an EmbeddedChannel.
// The first byte picks EIO=3 or EIO=4 and how the bytes are cut into reads (1...128 bytes each).
import Drive
import DrivingData
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded

private struct Straight: SteeringPredictor {
  mutating func steering(for image: RGBImage) throws -> Float { 0 }
}

private let autopilot = Autopilot(predictor: Straight())
private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

private func upgradeRequest(eio: Int) -> String {
  "GET /socket.io/?EIO=\(eio)&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:4567\r\n"
    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    + "Sec-WebSocket-Version: 13\r\n\r\n"
}

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let mode = Int(data[0])
  let body = UnsafeBufferPointer(start: data + 1, count: count - 1)
  let configuration = DriveServer.Configuration(maxMessageSize: 64 * 1024)
  let core = DriveServerCore(
    autopilot: autopilot,
    settings: EngineSettings(
      pingInterval: configuration.pingInterval, pingTimeout: configuration.pingTimeout,
      maxPayload: configuration.maxMessageSize),
    limits: ConnectionLimits(configuration), logger: logger, onFrame: nil)
  let channel = EmbeddedChannel()
  defer {
    _ = try? channel.finish()
    core.registry.closeAll()
    // Drops the tasks still scheduled (session timers; the idle memory release a close schedules a
    // second later): a real event loop runs them, an abandoned embedded one kept them, and their
    // captures showed as leaks.
    try? channel.embeddedEventLoop.syncShutdownGracefully()
  }
  do {
    try DriveServer.configure(channel, core: core)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    try channel.writeInbound(channel.allocator.buffer(string: upgradeRequest(eio: mode & 1 == 0 ? 3 : 4)))
    let chunk = (mode >> 1) + 1
    var start = 0
    while start < body.count {
      let end = min(start + chunk, body.count)
      try channel.writeInbound(channel.allocator.buffer(bytes: body[start..<end]))
      channel.embeddedEventLoop.run()
      start = end
    }
    while (try channel.readOutbound(as: ByteBuffer.self)) != nil {}
  } catch {
    // Errors close the connection; what matters is that nothing crashed or leaked.
  }
  return 0
}

runLibFuzzer(fuzzOneInput)
