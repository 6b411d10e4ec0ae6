// DAgger's expert (Ross, Gordon and Bagnell 2011): while the network drives, the expert labels
// every frame the network is shown with the steering it would command in that state, and takes the
// wheel only to prevent an off-road event. The labelled frames form a normal recording.
import DrivingData
import Foundation

/// When the expert takes over and gives the wheel back.
public struct TakeoverRule: Sendable, Equatable {
  /// Takes over when a front wheel is predicted within this distance (m) of the road edge.
  public var edgeMargin = 0.5
  /// The prediction looks this far ahead (s) along the car's current heading.
  public var lookahead = 0.4
  /// Gives the wheel back once the car's centre is this close (m) to the centre line...
  public var releaseLateral = 0.5
  /// ...and the expert has driven at least this long (s).
  public var minimumHold = 1.0

  public init() {}
}

/// What one supervised drive recorded.
public struct DAggerRoundSummary: Sendable, Codable, Equatable {
  /// Rows written (one per frame the network was sent).
  public var rows = 0
  /// Rows written while the expert had the wheel (the recoveries).
  public var recoveryRows = 0
  /// Times the expert took the wheel.
  public var interventions = 0
  /// Metres driven while recording, and that distance in laps (the data budget's unit).
  public var metres = 0.0
  public var laps = 0.0
  /// Seconds the expert had the wheel.
  public var expertSeconds = 0.0

  public init() {}
}

/// Labels what the network sees with the expert's steering and keeps the car on the road.
public final class DAggerSupervisor: DriveSupervisor {
  public let expert: ExpertDriver
  public let rule: TakeoverRule
  public private(set) var summary = DAggerRoundSummary()
  /// Where the expert took the wheel (for the drive's picture).
  public private(set) var takeovers: [Vec2] = []
  private let renderer: Renderer
  private let writer: RecordingWriter?
  private let startTime: Double
  private var inControl = false
  private var heldSince = 0.0
  private var lastPosition: Vec2?
  private var lastTime = 0.0

  /// - Parameters:
  ///   - writer: the round's recording (driving_log.csv + IMG/, as `Simulate record` writes); nil
  ///     supervises without recording (a check drive).
  ///   - startTime: seconds since 1970 of simulated time 0 (names the images).
  public init(
    expert: ExpertDriver, renderer: Renderer, writer: RecordingWriter?, rule: TakeoverRule = TakeoverRule(),
    startTime: Double
  ) {
    self.expert = expert
    self.renderer = renderer
    self.writer = writer
    self.rule = rule
    self.startTime = startTime
  }

  public func observe(_ world: World, frame: RGBImage?, lighting: Lighting, effects: FrameEffects) throws {
    let state = world.vehicle.state
    if let last = lastPosition { summary.metres += (world.vehicle.center - last).length }
    lastPosition = world.vehicle.center
    summary.laps = summary.metres / world.track.length
    if inControl { summary.recoveryRows += 1 }
    summary.rows += 1
    guard let writer else { return }
    // The label: what the expert commands for the state this frame shows, whoever drives.
    let label = expert.controls(for: state, hint: world.location.segment)
    let center = frame ?? renderer.image(.center, state: state, lighting: lighting, effects: effects)
    let left = renderer.image(.left, state: state, lighting: lighting, effects: effects)
    let right = renderer.image(.right, state: state, lighting: lighting, effects: effects)
    do {
      try writer.append(
        center: center, left: left, right: right, steering: Float(label.steering),
        throttle: Float(max(state.controls.throttle, 0)), brake: Float(max(-state.controls.throttle, 0)),
        speed: Float(state.speedMph), timestamp: startTime + world.time)
    } catch {
      throw SimulatorError.io("cannot record a DAgger row: \(error)")
    }
  }

  public func controls(commanded: Controls, world: World) -> Controls {
    let here = world.location
    let expertSteering = { self.expert.controls(for: world.vehicle.state, hint: here.segment).steering }
    let dt = max(world.time - lastTime, 0)
    lastTime = world.time
    if inControl {
      summary.expertSeconds += dt
      let lateral = abs(here.lateral)
      if lateral < rule.releaseLateral, world.time - heldSince >= rule.minimumHold {
        inControl = false
        return commanded
      }
      return Controls(steering: expertSteering(), throttle: commanded.throttle)
    }
    if danger(world, hint: here.segment) {
      inControl = true
      heldSince = world.time
      summary.interventions += 1
      takeovers.append(world.vehicle.center)
      return Controls(steering: expertSteering(), throttle: commanded.throttle)
    }
    return commanded
  }

  /// Whether a front wheel, moved `lookahead` seconds along the car's heading, is within
  /// `edgeMargin` of the road edge.
  func danger(_ world: World, hint: Int) -> Bool {
    let state = world.vehicle.state
    let ahead = state.forward * (state.speed * rule.lookahead)
    let limit = world.track.halfWidth - rule.edgeMargin
    let wheels = world.vehicle.wheels.prefix(2)
    return wheels.contains { abs(world.track.locate($0 + ahead, hint: hint).lateral) > limit }
  }
}
