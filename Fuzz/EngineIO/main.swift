// libFuzzer target: Engine.IO / Socket.IO text -> the server's parsing and reaction, without sockets.
// The first byte picks the protocol revision and whether the rest is a long-polling body (several
// packets) or one WebSocket message; every packet then goes through a fresh session's `receive`,
// which parses Engine.IO and Socket.IO packets and answers telemetry (base64, JPEG, autopilot).
import Drive
import DrivingData
import FuzzSupport
import Logging

private struct Straight: SteeringPredictor {
  mutating func steering(for image: RGBImage) throws -> Float { 0 }
}

private let core = DriveServerCore(
  autopilot: Autopilot(predictor: Straight()),
  settings: EngineSettings(pingInterval: .seconds(25), pingTimeout: .seconds(60), maxPayload: 1_000_000),
  limits: ConnectionLimits(DriveServer.Configuration()),
  logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }), onFrame: nil)

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let mode = data[0]
  let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: count - 1), as: UTF8.self)
  let version: EngineIOVersion = mode & 1 == 0 ? .v3 : .v4
  _ = try? EngineRequest(uri: text)
  let packets: [String]
  if mode & 2 == 0 {
    packets = [text]
  } else {
    guard let decoded = try? EnginePayload.decode(text, version: version) else { return 0 }
    packets = decoded
  }
  let session = EngineSession(version: version, transport: .polling, server: core)
  for packet in packets { _ = session.receive(packet) }
  session.close()
  return 0
}

runLibFuzzer(fuzzOneInput)
