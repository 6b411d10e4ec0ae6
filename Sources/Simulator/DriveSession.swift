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

  public init() {}
}

/// Runs one autonomous drive and evaluates it.
public final class DriveSession {
  public let track: Track
  public let renderer: Renderer
  public let options: DriveOptions
  public private(set) var evaluator: Evaluator

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
    evaluator = Evaluator(track: track)
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
    while world.laps.lapsCompleted < options.laps, world.time < options.timeLimit - 1e-9 {
      let needFrame = controller.wantsImages || options.framesDirectory != nil
      let frame =
        needFrame ? renderer.image(.center, state: world.vehicle.state, lighting: options.lighting) : nil
      if let frame, let dir = options.framesDirectory {
        let name = RecordingWriter.imageName(.center, timestamp: wallStart + world.time, utcOffsetSeconds: 0)
        let path = (dir as NSString).appendingPathComponent(String(name.dropFirst("center_".count)))
        do {
          try encoder.write(frame, to: path)
        } catch {
          throw SimulatorError.io("cannot save frame \(path): \(error)")
        }
      }
      frames += 1
      let controls: Controls?
      do {
        controls = try controller.controls(
          after: Observation(state: world.vehicle.state, frame: frame, time: world.time))
      } catch SimulatorError.protocolStalled {
        stalled = true
        break
      }
      guard let controls else { break }
      world.apply(controls)
      var dt = options.stepSeconds
      if options.realTime {
        let now = Date()
        dt = min(now.timeIntervalSince(lastWall), 0.25)
        lastWall = now
      }
      let events = world.advance(by: dt)
      evaluator.record(world, offRoadEvents: events)
      if world.time >= nextProgress {
        nextProgress += 1
        progress?(evaluator.report(world: world, controller: name, frames: frames, stalled: false))
      }
    }
    return evaluator.report(world: world, controller: name, frames: frames, stalled: stalled)
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
