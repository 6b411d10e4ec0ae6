import ConvNet
import Drive
import DrivingData
import Foundation
import ModelFile
import Testing

@testable import Simulator

/// The Simulator's Unity-like client against Drive's own server over loopback, with a real (untrained)
/// seed network behind it: the closed loop `make demo` relies on, as a test.
@Suite(.serialized) struct DriveLoopbackTests {
  @Test func hundredsOfLockstepFramesAgainstDrivesServer() async throws {
    let model = try Sequential.seedModel(seed: 5, threads: 1)
    let predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let autopilot = Autopilot(predictor: predictor, setSpeed: 20)
    let server = try await DriveServer(
      configuration: DriveServer.Configuration(port: 0, threads: 1), autopilot: autopilot)
    let track = try Track(named: "lake")
    var options = DriveOptions()
    options.timeLimit = 15  // 300 replies at 0.05 s each
    let session = DriveSession(
      track: track, renderer: Renderer(track: track, mapCellSize: 0.25), options: options)
    let report: DriveEvaluation
    let controller: RemoteController
    do {
      controller = try RemoteController(host: "127.0.0.1", port: server.localPort)
      report = try session.run(controller, name: "loopback")
    } catch {
      try await server.stop()
      throw error
    }
    // The last telemetry may still be in flight when the session ends (30 s at most when loaded).
    let deadline = Date(timeIntervalSinceNow: 30)
    while server.statistics.telemetry < controller.telemetrySent, Date() < deadline {
      try await Task.sleep(nanoseconds: 10_000_000)
    }
    let stats = server.statistics
    try await server.stop()

    #expect(controller.repliesReceived == 300)
    #expect(controller.protocolErrors == 0)
    #expect(!report.stalled)
    #expect(abs(report.elapsedS - 15) < 1e-6)
    // Every telemetry the server saw was a real frame it steered (no manual fallbacks, nothing malformed).
    #expect(stats.telemetry == controller.telemetrySent)
    #expect(stats.steer + stats.manual == stats.telemetry)
    #expect(stats.manual == 0)
    #expect(stats.malformed == 0)
    // The PI throttle moved the car.
    #expect(report.meanSpeedMph > 5)
  }
}
