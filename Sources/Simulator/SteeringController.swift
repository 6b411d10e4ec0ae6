// The seam between the simulator and whoever drives: the expert here, a remote Drive server over
// the Udacity protocol, or any other policy.
import DrivingData

/// What a controller sees before each step.
public struct Observation: Sendable {
  /// The car's true state (the expert uses it; an image-based driver should not need it).
  public var state: VehicleState
  /// The centre camera's frame, when the controller asked for images.
  public var frame: RGBImage?
  /// Simulated seconds since the start.
  public var time: Double

  public init(state: VehicleState, frame: RGBImage?, time: Double) {
    self.state = state
    self.frame = frame
    self.time = time
  }
}

/// Anything that drives the simulated car.
public protocol SteeringController: AnyObject {
  /// Whether observations must carry the centre camera's frame.
  var wantsImages: Bool { get }
  /// The controls for the next step, given the latest observation; nil when the controller has
  /// finished (the drive ends). May block (a remote controller waits for the server's reply).
  func controls(after observation: Observation) throws -> Controls?
  /// Releases connections; called once when the drive ends.
  func finish()
}

extension SteeringController {
  public func finish() {}
}

/// The pure-pursuit expert as a controller (the reference row of an evaluation).
public final class ExpertController: SteeringController {
  public var expert: ExpertDriver
  public let wantsImages = false

  public init(expert: ExpertDriver) { self.expert = expert }

  public func controls(after observation: Observation) throws -> Controls? {
    expert.controls(for: observation.state)
  }
}
