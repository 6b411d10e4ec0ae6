// A Drive server as a SteeringController, reached the way the Unity client reaches it. The client's
// request/response "chains" are kept exactly: every `open` (raised twice at connect), every `steer`
// that parses and every `manual` triggers one telemetry; a `steer` whose values are not JSON strings
// makes the Unity handler throw, silently ending that chain.
import DrivingData
import Foundation

/// Drives with a remote server. Each reply the server sends is one step of the simulation.
public final class RemoteController: SteeringController {
  public let host: String
  public let port: Int
  /// How long to wait for a reply while a telemetry is unanswered.
  public var replyTimeout = 60.0
  /// How long to wait for an unsolicited message once no chain is alive, before declaring a stall.
  public var stallGrace = 1.0
  /// After the server closes the socket, keep reconnecting (like Unity, every few ms) this long.
  public var reconnectWindow = 3.0
  public let wantsImages = true

  /// Counters for the report and the tests.
  public private(set) var telemetrySent = 0
  public private(set) var repliesReceived = 0
  /// Replies the Unity client could not parse (each ended a chain) and malformed packets.
  public private(set) var protocolErrors = 0
  public private(set) var reconnects = 0
  /// The last `steer` reply's steering field as it arrived (nil: missing or not a string), and its
  /// `saliency` (base64 PNG from `Drive --saliency`; nil when the server sends none): for the live page.
  public private(set) var lastSteering: String?
  public private(set) var lastSaliency: String?

  private var client: UnityWebSocketClient?
  private var owed = 0
  private var inFlight = 0
  private var current = Controls.neutral
  private let encoder = JPEGEncoder(quality: 75)

  /// Connects to `host:port` now, so a missing server is reported before any driving.
  public init(host: String = "127.0.0.1", port: Int = 4567) throws {
    self.host = host
    self.port = port
    client = try UnityWebSocketClient(host: host, port: port)
  }

  public func controls(after observation: Observation) throws -> Controls? {
    var jpeg: [UInt8]?
    while true {
      guard let client else { throw SimulatorError.connection("not connected") }
      if owed > 0 {
        if jpeg == nil {
          guard let frame = observation.frame else { throw SimulatorError.connection("no frame to send") }
          jpeg = try encoder.encode(frame)
        }
        let message = telemetryMessage(
          steeringDegrees: observation.state.steeringDegrees,
          throttle: max(observation.state.controls.throttle, 0),
          speedMph: observation.state.speedMph, jpeg: jpeg!)
        for _ in 0..<owed { client.send(message) }
        telemetrySent += owed
        inFlight += owed
        owed = 0
      }
      let wait = inFlight > 0 ? replyTimeout : stallGrace
      guard let event = client.events.pop(timeout: wait) else {
        if inFlight > 0 {
          throw SimulatorError.connection("no reply from \(host):\(port) in \(Int(replyTimeout)) s")
        }
        throw SimulatorError.protocolStalled(frames: telemetrySent)
      }
      switch event {
      case .socketOpen, .packet(.open):
        owed += 1
      case .packet(.steer(let steering, let throttle, let saliency)):
        inFlight = max(inFlight - 1, 0)
        repliesReceived += 1
        lastSteering = steering
        lastSaliency = saliency
        // CommandServer.OnSteer: steering, then throttle, then EmitTelemetry; a parse failure aborts the rest.
        guard let s = unityParseFloat(steering) else {
          protocolErrors += 1
          return current
        }
        current.steering = min(max(s, -1), 1)
        guard let t = unityParseFloat(throttle) else {
          protocolErrors += 1
          return current
        }
        current.throttle = min(max(t, -1), 1)
        owed += 1
        return current
      case .packet(.manual):
        inFlight = max(inFlight - 1, 0)
        repliesReceived += 1
        owed += 1
        return current
      case .packet(.malformed):
        // The Unity client closes the socket and reconnects.
        protocolErrors += 1
        try reconnect()
      case .packet:
        continue
      case .closed:
        try reconnect()
      }
    }
  }

  private func reconnect() throws {
    client?.close()
    client = nil
    owed = 0
    inFlight = 0
    let deadline = Date(timeIntervalSinceNow: reconnectWindow)
    var lastError: Error = SimulatorError.connection("closed")
    while Date() < deadline {
      do {
        client = try UnityWebSocketClient(host: host, port: port, timeout: 1)
        reconnects += 1
        return
      } catch {
        lastError = error
        Thread.sleep(forTimeInterval: 0.05)
      }
    }
    throw SimulatorError.connection("lost \(host):\(port) and could not reconnect: \(lastError)")
  }

  public func finish() {
    client?.close()
    client = nil
  }
}
