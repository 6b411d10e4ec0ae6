import ConvNet
import DriveClients
import DrivingData
import Foundation
import Logging
import ModelFile
import Testing

@testable import Drive

/// `Bench drive --rate`'s paced client: it sends at its ticks, one frame in flight, and counts what
/// was answered, like the closed-loop client; and paced cars on a server with a predictor pool.
@Suite struct LoadClientTests {
  func thread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { continuation.resume(returning: body()) }
    }
  }

  @Test func pacedClientSendsAtItsRateAndGetsEveryReply() async throws {
    let server = try await startServer()
    let port = server.localPort
    let message = Fixtures.telemetry()
    var client = LoadClient(port: port, message: message, frames: 10, warmup: 2)
    client.interval = 0.02
    client.phase = 0.005
    let paced = client
    let started = Date()
    let result = await thread { paced.run() }
    let elapsed = Date().timeIntervalSince(started)
    try await server.stop()
    #expect(result.failure == nil)
    #expect(result.sent == 12)
    #expect(result.steers == 12)
    #expect(result.roundTrips.count == 10)
    #expect(result.invalid.isEmpty)
    // The last frame's tick is 5 + 11 x 20 ms after the start: pacing never sends early.
    #expect(elapsed >= 0.225)
  }

  @Test func pacedCarsOnASplittingPoolAreAllAnswered() async throws {
    // Two predictors whose models split a lone frame, eight cars at 50 Hz each at their own
    // phases: frames arrive alone and together, so the pool switches between splitting and not
    // while the server's two event loops call it. Every frame must get a valid steer.
    var pool: [any SteeringPredictor] = []
    for _ in 0..<2 {
      let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: 1)
      model.singleImageThreads = 2
      pool.append(try SequentialPredictor(model: model, pipeline: .seed))
    }
    var logger = Logger(label: "drive.test")
    logger.logLevel = .critical
    let server = try await DriveServer(
      configuration: .init(port: 0, threads: 2), autopilot: Autopilot(predictors: pool), logger: logger)
    let port = server.localPort
    let message = Fixtures.telemetry()
    let cars = 8
    let results = await withTaskGroup(of: LoadClient.Result.self) { group in
      for car in 0..<cars {
        var client = LoadClient(port: port, message: message, frames: 40, warmup: 2)
        client.interval = 0.02
        client.phase = 0.0025 * Double(car)
        let paced = client
        group.addTask { await self.thread { paced.run() } }
      }
      var all: [LoadClient.Result] = []
      for await result in group { all.append(result) }
      return all
    }
    try await server.stop()
    #expect(results.count == cars)
    for result in results {
      #expect(result.failure == nil)
      #expect(result.sent == 42)
      #expect(result.steers == 42, "a car's frame was not answered with a steer")
      #expect(result.manuals == 0 && result.invalid.isEmpty)
    }
  }
}
