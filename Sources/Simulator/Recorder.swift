// Training mode: the expert drives, the three cameras are recorded about 15 times a second through
// DrivingData's RecordingWriter, exactly as the Unity simulator writes them. Recoveries: the car
// drifts toward an edge unrecorded, then its way back to the centre is recorded.
import DrivingData
import Foundation
import TensorCore

/// What and how to record.
public struct RecordingOptions: Sendable {
  public var laps = 1
  public var cruiseSpeedMph = 25.0
  public var clockwise = false
  public var seed: UInt64 = 1
  /// Standard deviation of smooth steering noise added to the applied steering (normalized units);
  /// the recorded label stays the expert's command for the state the car is actually in.
  public var steeringNoise = 0.0
  /// Drift to the edge (not recorded) and record the recovery, every 5-12 s of driving.
  public var recoveries = false
  /// Samples per second.
  public var sampleRate = 15.0
  /// Lighting; with `randomLighting` a new random lighting is drawn for each stretch of driving.
  public var lighting = Lighting.noon
  public var randomLighting = false
  /// Records under the test-time conditions of `Simulate drive --conditions` (domain
  /// randomisation): a new dusk-to-noon lighting every `conditionsStretch` seconds, drifting cloud
  /// shadows and camera pitch jitter. The actuator's part is `steeringNoise`'s.
  public var conditions: DriveConditions? = nil
  public var conditionsStretch = 8.0
  /// Seconds since 1970 of the first sample (names the images); nil = now.
  public var startTime: Double? = nil
  /// Stops after this many rows (nil = after `laps` laps).
  public var maxRows: Int? = nil

  public init() {}
}

/// What a recording run did.
public struct RecordingSummaryReport: Sendable, CustomStringConvertible {
  public var rows = 0
  public var laps = 0
  public var recoveries = 0
  public var offRoadEvents = 0
  public var simulatedSeconds = 0.0

  public var description: String {
    "\(rows) rows, \(laps) laps, \(recoveries) recoveries, \(offRoadEvents) off-road events, "
      + String(format: "%.1f s driven", simulatedSeconds)
  }
}

/// Records a track with the expert.
public final class Recorder {
  public let track: Track
  public let renderer: Renderer
  public let options: RecordingOptions

  /// Controls are updated twice per sample.
  private var controlPeriod: Double { 1 / (2 * options.sampleRate) }

  private enum Phase { case cruise, drift, recover }

  public init(track: Track, renderer: Renderer, options: RecordingOptions) {
    self.track = track
    self.renderer = renderer
    self.options = options
  }

  /// Drives and writes every recorded sample to `writer`. `progress(rows, fractionDone)` is called
  /// after each row.
  public func record(
    to writer: RecordingWriter, progress: ((Int, Double) -> Void)? = nil
  ) throws -> RecordingSummaryReport {
    var rng = SplitMix64(seed: options.seed)
    var world = World(track: track)
    var expert = ExpertDriver(track: track, cruiseSpeedMph: options.cruiseSpeedMph)
    let start = options.startTime ?? Date().timeIntervalSince1970
    var report = RecordingSummaryReport()
    var phase = Phase.cruise
    var phaseEnds = nextCruiseLength(&rng)
    var phaseTime = 0.0
    var noise = 0.0
    var lighting = options.randomLighting ? Lighting.random(&rng) : options.lighting
    var step = 0
    let targetRows = options.maxRows ?? Int.max
    var conditions = options.conditions.map { ConditionsState($0, baseLighting: options.lighting) }

    while world.laps.lapsCompleted < options.laps, report.rows < targetRows {
      // The expert's command for the state the car is in: the label, and (plus noise) the action.
      let state = world.vehicle.state
      let label = expert.controls(for: state)
      var applied = label
      if options.steeringNoise > 0 {
        // Ornstein-Uhlenbeck noise with a 0.5 s correlation time: smooth wandering, not jitter.
        let tau = 0.5
        let dt = controlPeriod
        noise +=
          -noise * dt / tau + options.steeringNoise * (2 * dt / tau).squareRoot() * Double(rng.nextNormal())
        applied.steering = min(max(applied.steering + noise, -1), 1)
      }
      let recording = phase != .drift
      conditions?.update(time: world.time, lap: Int(world.time / options.conditionsStretch))
      if recording, step % 2 == 0 {
        try writeRow(
          writer, world: world, label: label, lighting: conditions?.lighting ?? lighting,
          effects: conditions?.effects(time: world.time) ?? FrameEffects(), time: start + world.time)
        report.rows += 1
        let done =
          options.maxRows.map { Double(report.rows) / Double($0) }
          ?? (world.laps.progress / track.length) / Double(options.laps)
        progress?(report.rows, min(max(done, 0), 1))
      }
      world.apply(applied)
      report.offRoadEvents += world.advance(by: controlPeriod)
      step += 1
      phaseTime += controlPeriod

      // Recovery state machine.
      let lateral = world.location.lateral
      switch phase {
      case .cruise where options.recoveries && phaseTime >= phaseEnds:
        phase = .drift
        phaseTime = 0
        let side: Double = rng.nextUnitFloat() < 0.5 ? -1 : 1
        let edge = track.halfWidth - world.vehicle.parameters.track / 2 - 0.35
        expert.pathOffset = side * edge * Double(rng.nextFloat(in: 0.75, 1))
        expert.minimumLookahead = 2.5
      case .drift where abs(lateral - expert.pathOffset) < 0.25 || phaseTime > 4:
        phase = .recover
        phaseTime = 0
        expert.pathOffset = 0
        expert.minimumLookahead = 4
        report.recoveries += 1
      case .recover where abs(lateral) < 0.3 && phaseTime > 1.5:
        phase = .cruise
        phaseTime = 0
        phaseEnds = nextCruiseLength(&rng)
        if options.randomLighting { lighting = Lighting.random(&rng) }
      default: break
      }
    }
    report.laps = world.laps.lapsCompleted
    report.simulatedSeconds = world.time
    return report
  }

  private func nextCruiseLength(_ rng: inout SplitMix64) -> Double { Double(rng.nextFloat(in: 5, 12)) }

  private func writeRow(
    _ writer: RecordingWriter, world: World, label: Controls, lighting: Lighting, effects: FrameEffects,
    time: Double
  ) throws {
    let state = world.vehicle.state
    let images = Camera.allCases.map {
      renderer.image($0, state: state, lighting: lighting, effects: effects)
    }
    try writer.append(
      center: images[0], left: images[1], right: images[2], steering: Float(label.steering),
      throttle: Float(max(state.controls.throttle, 0)), brake: Float(max(-state.controls.throttle, 0)),
      speed: Float(state.speedMph), timestamp: time)
  }
}
