import ConvNet
import Drive
import DrivingData
import Foundation
import ModelFile
import TensorCore
import Testing

@testable import Simulator

/// The suites' matrix, goals and failure frames, and that a run's result depends neither on the order
/// of the runs nor on how many drive at once.
@Suite struct EvaluationSuiteTests {
  @Test func theStandardSuiteIsTheIssuesMatrix() throws {
    let runs = EvaluationSuite.standard.runs
    #expect(runs.count == 9)
    #expect(Set(runs.map(\.track)) == ["lake", "jungle", "canyon"])
    #expect(Set(runs.map(\.seed)) == [1, 2, 3])
    #expect(runs.allSatisfy { $0.speedMph == 30 && $0.laps == 10 && $0.conditions })
    #expect(runs.allSatisfy { $0.latency == .fixed(milliseconds: 150, jitter: 30) })
    #expect(Set(runs.map(\.configuration.id)).count == runs.count)
    #expect(runs[0].configuration.id == "lake-30mph-seed1-lat150pm30-cond")
    #expect(runs[0].configuration.latency == "150.0 +- 30.0 ms")
    let options = runs[0].driveOptions(failureFrames: 3)
    #expect(options.latency == .fixed(milliseconds: 150, jitter: 30))
    #expect(options.conditions == DriveConditions.standard(seed: 1))
    #expect(options.laps == 10 && options.seed == 1 && options.failureFrames == 3)
    // The full suite adds the clean column; CI is one lap of lake.
    #expect(EvaluationSuite.full.runs.count == 36)
    #expect(EvaluationSuite.ci.runs.count == 1 && EvaluationSuite.ci.runs[0].laps == 1)
  }

  @Test func latencyArguments() {
    #expect(SuiteLatency(argument: "none") == SuiteLatency.none)
    #expect(SuiteLatency(argument: "150") == .fixed(milliseconds: 150, jitter: 0))
    #expect(SuiteLatency(argument: "150+-30") == .fixed(milliseconds: 150, jitter: 30))
    #expect(SuiteLatency(argument: "150pm30") == .fixed(milliseconds: 150, jitter: 30))
    #expect(SuiteLatency(argument: "150+-300") == nil)
    #expect(SuiteLatency(argument: "fast") == nil)
    #expect(SuiteLatency(argument: "-5") == nil)
  }

  func evaluation(laps: Int, offroad: Int, cte: Double, stalled: Bool = false) -> DriveEvaluation {
    DriveEvaluation(
      track: "lake", controller: "model", laps: laps, offroadEvents: offroad, autonomy: 1, meanCteM: cte,
      maxCteM: cte * 3, meanSpeedMph: 29, lapTimesS: [], elapsedS: 60, stalled: stalled)
  }

  @Test func goalsPassAndFailForTheRightReasons() {
    let lake = EvaluationSuite.standardTracks[0].goal
    let expert = evaluation(laps: 10, offroad: 0, cte: 0.09)
    #expect(lake.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.12), expert: expert, laps: 10).isEmpty)
    #expect(
      lake.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.13), expert: expert, laps: 10).count == 1)
    #expect(
      lake.misses(model: evaluation(laps: 10, offroad: 1, cte: 0.1), expert: expert, laps: 10) == [
        "1 off-road"
      ])
    #expect(
      lake.misses(model: evaluation(laps: 9, offroad: 0, cte: 0.1), expert: expert, laps: 10) == [
        "9 of 10 laps"
      ])
    #expect(!lake.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.1), expert: nil, laps: 10).isEmpty)
    #expect(
      !lake.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.1, stalled: true), expert: expert, laps: 10)
        .isEmpty)
    let jungle = EvaluationSuite.standardTracks[1].goal
    #expect(jungle.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.15), expert: nil, laps: 10).isEmpty)
    #expect(
      jungle.misses(model: evaluation(laps: 10, offroad: 0, cte: 0.151), expert: nil, laps: 10).count == 1)
    #expect(
      jungle.misses(model: evaluation(laps: 10, offroad: 0, cte: .nan), expert: nil, laps: 10).count == 1)
  }

  @Test func unknownTracksAreReportedAndContributedOnesFound() throws {
    #expect(throws: SimulatorError.unknownTrack("nowhere")) { try Track(suiteName: "nowhere") }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracks-\(UUID())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var spec = TrackLibrary.lake
    spec.name = "copy"
    try spec.jsonData().write(to: URL(fileURLWithPath: dir + "/copy.json"))
    let track = try Track(suiteName: "copy", directory: dir)
    #expect(abs(track.length - (try Track(named: "lake")).length) < 1e-9)
  }

  /// Steers hard left, with images: leaves the road again and again.
  final class HardLeft: SteeringController {
    let wantsImages = true
    func controls(after observation: Observation) throws -> Controls? {
      Controls(steering: -1, throttle: 0.6)
    }
  }

  @Test func failureFramesAreTheTwoSecondsBeforeEachEventAndChangeNothing() throws {
    let track = try Track(named: "lake")
    let renderer = Renderer(track: track, mapCellSize: 0.4)
    var options = DriveOptions()
    options.timeLimit = 30
    options.latency = .fixed(milliseconds: 150, jitter: 30)
    let plain = try DriveSession(track: track, renderer: renderer, options: options).run(
      HardLeft(), name: "x")
    options.failureFrames = 3
    let session = DriveSession(track: track, renderer: renderer, options: options)
    let kept = try session.run(HardLeft(), name: "x")
    #expect(kept == plain)
    try #require(plain.offroadEvents >= 3)
    #expect(session.failures.count == 3)
    for failure in session.failures {
      #expect(failure.frames.count == FailureFrames.sheetFrames)
      let times = failure.frames.map(\.time)
      #expect(times == times.sorted())
      // Frames leave at 20 Hz: the newest is at most one frame interval (plus the last physics
      // interval) before the event, the oldest about 1.75 s before the newest (or the drive's start).
      #expect(times.last! <= failure.time && failure.time - times.last! <= 0.06)
      #expect(times.last! - times.first! <= 1.75 + 1e-6)
      #expect(times.first! >= max(0, times.last! - 1.75) - 0.05 - 1e-6)
      let sheet = failure.contactSheet()
      #expect(sheet.width == 4 * 320 + 3 * 2 && sheet.height == 2 * 164 + 2)
      // The first frame is copied unchanged to the top left.
      #expect(sheet[x: 10, y: 10, channel: 1] == failure.frames[0].image[x: 10, y: 10, channel: 1])
    }
    // Without frames (the expert) nothing is kept and nothing changes.
    final class Expert: SteeringController {
      let inner: ExpertController
      init(_ track: Track) {
        inner = ExpertController(expert: ExpertDriver(track: track, cruiseSpeedMph: 30))
      }
      var wantsImages: Bool { false }
      func controls(after observation: Observation) throws -> Controls? {
        var c = try inner.controls(after: observation)
        c?.steering = -1
        return c
      }
    }
    let expertSession = DriveSession(track: track, renderer: renderer, options: options)
    let expert = try expertSession.run(Expert(track), name: "x")
    #expect(expert.offroadEvents > 0 && expertSession.failures.isEmpty)
  }

  /// The same runs in a different order, one at a time or two at once against one in-process Drive
  /// server each, give identical evaluations: simulated-time latency makes a drive a function of
  /// its seed and the model's replies only.
  @Test func resultsDependNeitherOnOrderNorOnParallelism() async throws {
    var cells = EvaluationSuite.ci.runs + EvaluationSuite.ci.runs
    cells[1].seed = 2
    cells[1].conditions = true
    for i in cells.indices { cells[i].timeLimit = 8 }
    let runs = cells
    let track = try Track(named: "lake")
    let renderer = Renderer(track: track, mapCellSize: 0.25)
    var servers: [DriveServer] = []
    for _ in 0..<2 {
      // Two servers with the same (untrained, seeded) network.
      let model = try Sequential.seedModel(seed: 7, dropout: 0, threads: 1)
      let autopilot = Autopilot(
        predictor: try SequentialPredictor(model: model, pipeline: .seed), setSpeed: 25)
      servers.append(
        try await DriveServer(
          configuration: DriveServer.Configuration(port: 0, threads: 1), autopilot: autopilot))
    }
    let ports = servers.map(\.localPort)
    @Sendable func drive(_ run: SuiteRun, port: Int) throws -> DriveEvaluation {
      let session = DriveSession(
        track: track, renderer: renderer, options: run.driveOptions(failureFrames: 2))
      return try session.run(try RemoteController(port: port), name: "model")
    }
    do {
      let inOrder = try runs.map { try drive($0, port: ports[0]) }
      let reversed = try runs.reversed().map { try drive($0, port: ports[0]) }
      let parallel = Locked([DriveEvaluation?](repeating: nil, count: runs.count))
      DispatchQueue.concurrentPerform(iterations: runs.count) { i in
        let result = try? drive(runs[i], port: ports[i])
        parallel.withLock { $0[i] = result }
      }
      #expect(inOrder[0] != inOrder[1])
      #expect(inOrder == Array(reversed.reversed()))
      #expect(inOrder == parallel.withLock { $0 }.compactMap { $0 })
      #expect(inOrder.allSatisfy { $0.frames > 100 && $0.latency != nil })
    } catch {
      for server in servers { try await server.stop() }
      throw error
    }
    for server in servers { try await server.stop() }
  }
}
