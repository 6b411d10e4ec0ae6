import DrivingData
import Foundation
import TensorCore
import Testing

@testable import Simulator

/// DAgger's expert in the drive loop: labels every frame the controller sees, takes the wheel only
/// to prevent an off-road event, and gives it back.
@Suite struct DAggerSupervisorTests {
  static let track: Track = {
    do { return try Track(named: "lake") } catch { preconditionFailure("lake: \(error)") }
  }()
  static let renderer = Renderer(track: track, mapCellSize: 0.25)

  /// A driver that always steers right a little more than any curve of lake needs: alone it
  /// leaves the road within seconds.
  final class DriftingController: SteeringController {
    let wantsImages = true
    func controls(after observation: Observation) throws -> Controls? {
      Controls(steering: 0.35, throttle: observation.state.speedMph < 20 ? 0.5 : 0)
    }
  }

  static func drive(supervised: Bool, seconds: Double, seed: UInt64 = 1, in dir: String?) throws -> (
    DriveEvaluation, DAggerSupervisor?
  ) {
    var options = DriveOptions()
    options.laps = 5
    options.timeLimit = seconds
    options.latency = .fixed(milliseconds: 150, jitter: 30)
    options.seed = seed
    options.conditions = .standard(seed: seed)
    let session = DriveSession(track: track, renderer: renderer, options: options)
    var supervisor: DAggerSupervisor?
    if supervised {
      let writer = try dir.map { try RecordingWriter(directory: $0) }
      let s = DAggerSupervisor(
        expert: ExpertDriver(track: track, cruiseSpeedMph: 20), renderer: renderer, writer: writer,
        startTime: 1_700_000_000)
      session.supervisor = s
      supervisor = s
    }
    let result = try session.run(DriftingController(), name: "drifting")
    return (result, supervisor)
  }

  @Test func aloneTheDriftingDriverLeavesTheRoad() throws {
    let (result, _) = try Self.drive(supervised: false, seconds: 20, in: nil)
    #expect(result.offroadEvents > 0)
  }

  /// Supervised, the same driver never leaves the road: the expert takes over near the edge,
  /// drives back towards the centre and hands back, again and again.
  @Test func theExpertPreventsEveryOffRoadEventAndHandsBack() throws {
    let (result, supervisor) = try Self.drive(supervised: true, seconds: 20, in: nil)
    let s = try #require(supervisor).summary
    #expect(result.offroadEvents == 0)
    #expect(s.interventions >= 2, "took over \(s.interventions) times")
    #expect(s.recoveryRows > 0 && s.recoveryRows < s.rows, "\(s.recoveryRows) of \(s.rows) rows")
    #expect(s.rows == result.frames)
    // Expert time is a share of the drive, not all of it: it gave the wheel back.
    #expect(s.expertSeconds > 1 && s.expertSeconds < 18, "expert drove \(s.expertSeconds) s")
  }

  /// Every frame the controller was sent is a row of a normal recording, labelled with the
  /// expert's steering for that state; the same seed writes the same labels.
  @Test func everyFrameIsARowLabelledByTheExpert() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("dagger-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: base) }
    let (_, first) = try Self.drive(supervised: true, seconds: 6, in: base + "/a")
    _ = try Self.drive(supervised: true, seconds: 6, in: base + "/b")
    let (recordings, reading) = try RecordingReader.read([base + "/a"])
    let rows = try #require(recordings.first).rows
    #expect(reading.issues.isEmpty)
    #expect(rows.count == first?.summary.rows)
    // The drifting driver commands 0.35 throughout; the labels are the expert's, which differ.
    let labels = rows.map(\.steering)
    #expect(labels.allSatisfy { abs($0) <= 1 })
    #expect(labels.contains { abs($0 - 0.35) > 0.1 })
    let image = try JPEGDecoder().decode(contentsOf: rows[rows.count / 2].path(.left))
    #expect((image.width, image.height) == (320, 160))
    let again = try #require(try RecordingReader.read([base + "/b"]).0.first).rows.map(\.steering)
    #expect(again == labels)
  }

  /// The in-process controller drives what a `Drive` server would: the model's steering
  /// (clamped) and drive.py's PI throttle; a model that fails or answers NaN is an error.
  @Test func predictorControllerClampsAndReportsFailures() throws {
    struct Constant: SteeringPredictor {
      var value: Float
      func steering(for image: RGBImage) throws -> Float { value }
    }
    let frame = Self.renderer.image(.center, state: World(track: Self.track).vehicle.state)
    let observation = Observation(state: World(track: Self.track).vehicle.state, frame: frame, time: 0)
    let c = PredictorController(predictor: Constant(value: 3), setSpeed: 30)
    let first = try #require(try c.controls(after: observation))
    #expect(first.steering == 1)
    #expect(abs(first.throttle - 1) < 1e-12, "PI at rest, 30 mph short: 0.1 x 30 + 0.002 x 30 clamps to 1")
    let nan = PredictorController(predictor: Constant(value: .nan), setSpeed: 30)
    #expect(throws: SimulatorError.self) { try nan.controls(after: observation) }
    let blind = PredictorController(predictor: Constant(value: 0), setSpeed: 30)
    #expect(throws: SimulatorError.self) {
      try blind.controls(after: Observation(state: observation.state, frame: nil, time: 0))
    }
  }
}
