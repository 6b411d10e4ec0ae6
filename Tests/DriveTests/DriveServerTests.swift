import DrivingData
import Foundation
import Testing

@testable import Drive

/// Conformance with clients we did not write: python-socketio 4.6.1 (EIO3), 5.x (EIO4), and a
/// websocket-client script replaying the simulator's exact frames.
@Suite(.serialized) struct DriveServerTests {
  @Test func simulatorReplay() async throws {
    let server = try await startServer()
    let result = try await PeerPython.eio3.run(
      "simulator_replay.py", [String(server.localPort), Fixtures.cameraPath, "25"])
    try await server.stop()
    #expect(result.status == 0, "\(result.output)\n\(result.errors)")
    let s = try summary(result.output)
    let steers = try #require(s["steers"] as? [[Double]])
    #expect(steers.count == 20)
    #expect(s["manuals"] as? Int == 5)
    #expect((s["pongs"] as? Int ?? 0) >= 1)
    let stats = server.statistics
    #expect(stats.telemetry == 25)
    #expect(stats.steer + stats.manual == stats.telemetry)
    // Values: the predictor's steering on the decoded frame, and drive.py's PI throttle for the
    // speeds the script sent (0, 0.5, 1.0, ... mph), clamped to 1.
    let expected = BrightnessBalance.steering(for: try JPEGDecoder().decode(Array(Fixtures.cameraJPEG)))
    var controller = SpeedController(setSpeed: 25)
    for (i, steer) in steers.enumerated() {
      #expect(abs(steer[0] - Double(expected)) < 1e-6)
      let throttle = min(max(controller.update(speed: Double(i) * 0.5), -1), 1)
      #expect(abs(steer[1] - throttle) < 1e-6, "frame \(i)")
    }
  }

  @Test func simulatorReplayWithCommaLocale() async throws {
    let server = try await startServer()
    let result = try await PeerPython.eio3.run(
      "simulator_replay.py", [String(server.localPort), Fixtures.cameraPath, "10", "--comma"])
    try await server.stop()
    #expect(result.status == 0, "\(result.output)\n\(result.errors)")
    let steers = try #require(try summary(result.output)["steers"] as? [[Double]])
    var controller = SpeedController(setSpeed: 25)
    #expect(steers.count == 8)
    for (i, steer) in steers.enumerated() {
      #expect(abs(steer[1] - min(max(controller.update(speed: Double(i) * 0.5), -1), 1)) < 1e-6)
    }
  }
}

extension DriveServerTests {
  func socketIOChain(_ python: PeerPython, transport: String, frames: Int = 12) async throws {
    let server = try await startServer()
    let result = try await python.run(
      "socketio_client.py", [String(server.localPort), Fixtures.cameraPath, String(frames), transport])
    try await server.stop()
    #expect(result.status == 0, "\(result.output)\n\(result.errors.suffix(2000))")
    let s = try summary(result.output)
    #expect((s["steers"] as? [[Double]])?.count == frames)
    #expect(s["manuals"] as? Int == 2)
    #expect(s["transport"] as? String == "websocket")
    let stats = server.statistics
    #expect(stats.telemetry == frames + 2)
    #expect(stats.steer + stats.manual == stats.telemetry)
  }

  @Test func pythonSocketIO4WebSocket() async throws {
    try await socketIOChain(.eio3, transport: "websocket")
  }

  @Test func pythonSocketIO4PollingThenUpgrade() async throws {
    try await socketIOChain(.eio3, transport: "polling")
  }

  @Test func pythonSocketIO5WebSocket() async throws {
    try await socketIOChain(.eio4, transport: "websocket")
  }

  @Test func pythonSocketIO5PollingThenUpgrade() async throws {
    try await socketIOChain(.eio4, transport: "polling")
  }
}
