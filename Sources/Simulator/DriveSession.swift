// Autonomous mode: a controller drives the car lap after lap while the evaluation watches.
import DrivingData
import Foundation
import TensorCore

/// How an autonomous drive runs.
public struct DriveOptions: Sendable {
  public var laps = 1
  /// Lockstep: simulated seconds each reply advances (results do not depend on machine load).
  public var stepSeconds = 0.05
  /// Real time: each reply advances by the wall-clock time since the previous one (at most 0.25 s),
  /// as the Unity simulator keeps driving while the server thinks.
  public var realTime = false
  /// Gives up after this many simulated seconds (a car that never finishes a lap).
  public var timeLimit = 600.0
  public var lighting = Lighting.noon
  /// Saves each centre frame as `<UTC yyyy_MM_dd_HH_mm_ss_fff>.jpg` here (as drive.py names them).
  public var framesDirectory: String? = nil
  /// Latency in simulated time: frames leave at `frameRate` and each reply takes effect `latency`
  /// after its frame was taken; the car keeps its previous command meanwhile. nil: lockstep.
  public var latency: Latency? = nil
  /// Telemetry frames per simulated second with `latency` (the Unity client sends one per rendered
  /// frame while a reply chain is alive; 20 Hz is what drive.py logs on a typical machine).
  public var frameRate = 20.0
  /// Seed of the latency jitter.
  public var seed: UInt64 = 1
  /// Test-time perturbations (lighting, shadows, actuator noise and rate, camera pitch); nil: none.
  public var conditions: DriveConditions? = nil
  /// Keeps the centre frames of the 2 s before each of the first N off-road events (the failure
  /// gallery; `DriveSession.failures`); 0: none. Only frames the drive renders anyway are kept, so
  /// the drive itself is unchanged (the expert, which needs no images, has none to keep).
  public var failureFrames = 0

  public init() {}
}

/// When a reply takes effect, counted from the moment its frame was taken.
public enum Latency: Sendable, Equatable, CustomStringConvertible {
  /// `milliseconds` plus a uniform, seeded jitter of +-`jitter` ms: reproducible.
  case fixed(milliseconds: Double, jitter: Double)
  /// The measured wall-clock round trip of each frame: realistic, not reproducible.
  case measured

  public var description: String {
    switch self {
    case .fixed(let ms, let jitter): jitter > 0 ? "\(ms) +- \(jitter) ms" : "\(ms) ms"
    case .measured: "measured round trip"
    }
  }
}

/// Runs one autonomous drive and evaluates it.
public final class DriveSession {
  public let track: Track
  public let renderer: Renderer
  public let options: DriveOptions
  public private(set) var evaluator: Evaluator
  /// Sees every frame and may take the wheel (DAgger's expert); nil: the controller alone drives.
  public var supervisor: (any DriveSupervisor)?
  /// The last drive's off-road events with the frames before them (at most `options.failureFrames`).
  public private(set) var failures: [FailureFrames] = []

  public init(track: Track, renderer: Renderer, options: DriveOptions) {
    self.track = track
    self.renderer = renderer
    self.options = options
    evaluator = Evaluator(track: track)
  }

  /// Drives until `options.laps` laps, the time limit, or the controller stops.
  /// `progress(report)` is called about once per simulated second.
  public func run(
    _ controller: any SteeringController, name: String, progress: ((DriveEvaluation) -> Void)? = nil
  ) throws -> DriveEvaluation {
    defer { controller.finish() }
    var world = World(track: track)
    var conditions = options.conditions.map { ConditionsState($0, baseLighting: options.lighting) }
    if let c = options.conditions { world.vehicle.parameters.steeringRateDegrees = c.steeringRateDegrees }
    evaluator = Evaluator(track: track)
    failures = []
    var history = FrameHistory(seconds: FailureFrames.window)
    let encoder = JPEGEncoder(quality: 75)
    if let dir = options.framesDirectory {
      do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      } catch {
        throw SimulatorError.io("cannot create \(dir): \(error.localizedDescription)")
      }
    }
    let wallStart = Date().timeIntervalSince1970
    var lastWall = Date()
    var frames = 0
    var stalled = false
    var nextProgress = 1.0
    // With latency: replies waiting for their moment, in physics ticks (10 ms) from the start.
    var pending: [(tick: Int, controls: Controls)] = []
    var tick = 0
    var frameIndex = 0
    var latencyRandom = SplitMix64(seed: options.seed, 0x1A7E)
    var commanded = Controls.neutral
    while world.laps.lapsCompleted < options.laps, world.time < options.timeLimit - 1e-9 {
      conditions?.update(time: world.time, lap: world.laps.lapsCompleted)
      let needFrame = controller.wantsImages || options.framesDirectory != nil
      let frame =
        needFrame
        ? renderer.image(
          .center, state: world.vehicle.state, lighting: conditions?.lighting ?? options.lighting,
          effects: conditions?.effects(time: world.time) ?? FrameEffects()) : nil
      if let frame, let dir = options.framesDirectory {
        let name = RecordingWriter.imageName(.center, timestamp: wallStart + world.time, utcOffsetSeconds: 0)
        let path = (dir as NSString).appendingPathComponent(String(name.dropFirst("center_".count)))
        do {
          try encoder.write(frame, to: path)
        } catch {
          throw SimulatorError.io("cannot save frame \(path): \(error)")
        }
      }
      if let frame, options.failureFrames > 0 { history.append(frame, time: world.time) }
      frames += 1
      try supervisor?.observe(
        world, frame: frame, lighting: conditions?.lighting ?? options.lighting,
        effects: conditions?.effects(time: world.time) ?? FrameEffects())
      let controls: Controls?
      let asked = Date()
      do {
        controls = try controller.controls(
          after: Observation(state: world.vehicle.state, frame: frame, time: world.time))
      } catch SimulatorError.protocolStalled {
        stalled = true
        break
      }
      guard let controls else { break }
      let events: Int
      if let latency = options.latency {
        // The reply takes effect `delay` after this frame; replies keep their order, as on a socket.
        let delay: Double
        switch latency {
        case .fixed(let ms, let jitter):
          delay = (ms + jitter * Double(2 * latencyRandom.nextUnitFloat() - 1)) / 1000
        case .measured: delay = Date().timeIntervalSince(asked)
        }
        let due = max(tick + Int((max(delay, 0) / Vehicle.physicsStep).rounded(.up)), pending.last?.tick ?? 0)
        pending.append((due, controls))
        // Frames leave at the fixed rate; commands land in between, each at its own tick.
        frameIndex += 1
        let nextFrame = Int((Double(frameIndex) / options.frameRate / Vehicle.physicsStep).rounded())
        var interval = 0
        while tick < nextFrame {
          while let first = pending.first, first.tick <= tick {
            commanded = first.controls
            pending.removeFirst()
          }
          conditions?.update(time: world.time, lap: world.laps.lapsCompleted)
          let applied = supervisor?.controls(commanded: commanded, world: world) ?? commanded
          world.apply(conditions?.actuate(applied) ?? applied)
          interval += world.advance(by: Vehicle.physicsStep)
          tick += 1
        }
        events = interval
      } else {
        let applied = supervisor?.controls(commanded: controls, world: world) ?? controls
        world.apply(conditions?.actuate(applied) ?? applied)
        var dt = options.stepSeconds
        if options.realTime {
          let now = Date()
          dt = min(now.timeIntervalSince(lastWall), 0.25)
          lastWall = now
        }
        events = world.advance(by: dt)
      }
      evaluator.record(world, offRoadEvents: events, frame: frames - 1)
      if events > 0, failures.count < options.failureFrames {
        // Nothing to keep when the controller drove without images.
        let before = history.sampled()
        for _ in 0..<events where failures.count < options.failureFrames && !before.isEmpty {
          failures.append(
            FailureFrames(
              time: world.time, lap: world.laps.lapsCompleted + 1, position: world.vehicle.center,
              frames: before))
        }
      }
      if world.time >= nextProgress {
        nextProgress += 1
        progress?(evaluator.report(world: world, controller: name, frames: frames, stalled: false))
      }
    }
    var result = evaluator.report(world: world, controller: name, frames: frames, stalled: stalled)
    result.latency = options.latency.map { "\($0)" }
    result.conditions = options.conditions?.summary
    return result
  }

  /// Writes the top-down picture of the last drive as PNG.
  public func writePicture(to path: String) throws {
    let image = renderer.topDownPicture(path: evaluator.path, interventions: evaluator.interventions)
    do {
      try PNGCodec().write(image, to: path)
    } catch {
      throw SimulatorError.io("cannot write \(path): \(error)")
    }
  }
}
