import DrivingData
import Foundation
import Testing

@testable import Simulator

@Suite(.serialized) struct RemoteControllerTests {
  static let renderer: Renderer = {
    let track = try! Track(named: "lake")
    return Renderer(track: track, mapCellSize: 0.25)
  }()

  func drive(_ replies: TestDriveServer.Replies, seconds: Double) throws -> (
    DriveEvaluation, TestDriveServer.Log, RemoteController
  ) {
    let server = try TestDriveServer(replies: replies, steering: 0.02, throttle: 0.4)
    defer { server.stop() }
    let controller = try RemoteController(host: "127.0.0.1", port: server.port)
    controller.stallGrace = 0.5
    var options = DriveOptions()
    options.timeLimit = seconds
    let session = DriveSession(track: Self.renderer.track, renderer: Self.renderer, options: options)
    let report = try session.run(controller, name: "test")
    // The last telemetry may still be on its way: wait for the server to log it (30 s at most, for
    // a loaded machine or a sanitizer build).
    let deadline = Date(timeIntervalSinceNow: 30)
    while server.log.withLockedValue({ $0.telemetry }) < controller.telemetrySent, Date() < deadline {
      Thread.sleep(forTimeInterval: 0.01)
    }
    return (report, server.log.withLockedValue { $0 }, controller)
  }

  @Test func hundredsOfFramesInLockstepLikeTheUnityClient() throws {
    let (report, log, controller) = try drive(.strings, seconds: 20)
    // 20 s at 0.05 s per reply: 400 replies, each answered with one telemetry; two open chains.
    #expect(controller.repliesReceived == 400)
    #expect(log.telemetry >= 400)
    #expect(controller.telemetrySent == log.telemetry)
    // At the end one chain's telemetry awaits its reply and the other chain's is owed but not sent.
    #expect(log.telemetry - controller.repliesReceived == 1)
    #expect(abs(report.elapsedS - 20) < 1e-6)
    // Transport: the Unity URL and agent, a ping before anything else, no Socket.IO connect `40`,
    // every frame masked, telemetry fragmented at 1016 bytes, every value a string, every image a 320x160 JPEG.
    #expect(log.requestURI == "/socket.io/?EIO=4&transport=websocket")
    #expect(log.userAgent == "websocket-sharp/1.0")
    #expect(log.messages.first == "2")
    #expect(!log.messages.contains("40"))
    #expect(log.unmaskedFrames == 0)
    #expect(log.largestFragment == 1016)
    #expect(log.fragmentedMessages == log.telemetry)
    #expect(log.nonStringValues == 0)
    #expect(log.badImages == 0)
    // The server's throttle 0.4 and slight right steer were applied: the car moved and drifted right.
    #expect(report.meanSpeedMph > 10)
  }

  @Test func numericRepliesEndTheChainsAsTheUnityHandlerFails() throws {
    let (report, log, controller) = try drive(.numbers, seconds: 20)
    // Both open chains get one telemetry each; their numeric replies cannot be parsed, so the
    // client sends nothing more and the drive stalls without the car having moved.
    #expect(log.telemetry == 2)
    #expect(controller.repliesReceived == 2)
    #expect(controller.protocolErrors == 2)
    #expect(report.stalled)
    #expect(report.meanSpeedMph == 0)
  }

  @Test func manualRepliesKeepTheChainsAlive() throws {
    let (report, log, controller) = try drive(.manual, seconds: 5)
    #expect(controller.repliesReceived == 100)
    #expect(log.telemetry == 101)
    #expect(!report.stalled)
  }

  @Test func malformedEventMakesTheClientReconnect() throws {
    let (report, log, controller) = try drive(.malformedOnce, seconds: 5)
    #expect(controller.reconnects == 1)
    #expect(controller.protocolErrors == 1)
    #expect(log.connections == 2)
    #expect(controller.repliesReceived == 100)
    #expect(!report.stalled)
  }

  @Test func refusedConnectionIsAClearError() throws {
    // Bind and release a port so nothing listens there.
    let server = try TestDriveServer(replies: .strings)
    let port = server.port
    server.stop()
    #expect(throws: SimulatorError.self) { try RemoteController(host: "127.0.0.1", port: port) }
  }
}
