// The car: a kinematic bicycle model integrated with a fixed physics step.
import DrivingData
import Foundation

/// Physical constants of the car (defaults: a mid-size saloon like the simulator's car).
public struct VehicleParameters: Sendable, Hashable {
  /// Distance between the axles (m).
  public var wheelbase = 2.6
  /// Distance between the left and right wheels (m).
  public var track = 1.6
  /// Largest front-wheel angle (degrees); the normalized steering -1...1 maps onto +-this.
  public var maxSteeringDegrees = 25.0
  /// How fast the front wheels turn (degrees per second).
  public var steeringRateDegrees = 250.0
  /// Top speed (mph).
  public var topSpeedMph = 30.0
  /// Acceleration at full throttle from rest (m/s^2): 0-60 mph in about 8 s.
  public var maxAcceleration = 3.5
  /// Deceleration at full brake (m/s^2).
  public var maxBraking = 8.0
  /// Rolling resistance (m/s^2); aerodynamic drag is chosen so full throttle settles at the top speed.
  public var rollingResistance = 0.2

  public init() {}

  public var topSpeed: Double { topSpeedMph * metresPerSecondPerMph }
  public var maxSteering: Double { maxSteeringDegrees * .pi / 180 }
  /// Quadratic drag coefficient: full throttle balances drag and rolling resistance at top speed.
  var dragCoefficient: Double { (maxAcceleration - rollingResistance) / (topSpeed * topSpeed) }
}

/// DrivingData's constant, here for code that imports only the Simulator.
public let metresPerSecondPerMph = DrivingData.metresPerSecondPerMph

/// What a driver commands, in the simulator's conventions.
public struct Controls: Sendable, Hashable {
  /// Normalized steering -1...1; positive turns right (the Udacity convention).
  public var steering: Double
  /// -1...1: positive accelerates, negative brakes.
  public var throttle: Double

  public init(steering: Double, throttle: Double) {
    self.steering = steering
    self.throttle = throttle
  }

  public static let neutral = Controls(steering: 0, throttle: 0)
}

/// The car's state. `position` is the midpoint of the rear axle.
public struct VehicleState: Sendable, Hashable {
  public var position: Vec2
  /// Direction of travel (radians, counter-clockwise from +x).
  public var heading: Double
  /// Forward speed (m/s, never negative).
  public var speed: Double
  /// Front-wheel angle (radians, positive turns left).
  public var wheelAngle: Double
  /// The controls currently applied.
  public var controls: Controls

  public init(position: Vec2, heading: Double, speed: Double = 0, wheelAngle: Double = 0) {
    self.position = position
    self.heading = heading
    self.speed = speed
    self.wheelAngle = wheelAngle
    controls = .neutral
  }

  public var speedMph: Double { speed / metresPerSecondPerMph }
  /// Wheel angle as telemetry reports it: degrees, positive right.
  public var steeringDegrees: Double { -wheelAngle * 180 / .pi }
  public var forward: Vec2 { Vec2(heading: heading) }
  /// Unit vector to the car's right.
  public var right: Vec2 { Vec2(x: sin(heading), y: -cos(heading)) }
}

/// The kinematic bicycle: no tyre slip, the rear axle moves along its heading, yaw rate v tan(delta) / L.
public struct Vehicle: Sendable {
  public var parameters: VehicleParameters
  public var state: VehicleState
  /// Fixed integration step (s).
  public static let physicsStep = 0.01

  public init(parameters: VehicleParameters = VehicleParameters(), state: VehicleState) {
    self.parameters = parameters
    self.state = state
  }

  /// Centre of the car (midway between the axles).
  public var center: Vec2 { state.position + state.forward * (parameters.wheelbase / 2) }

  /// The four wheel contact points: front-left, front-right, rear-left, rear-right.
  public var wheels: [Vec2] {
    let f = state.forward * parameters.wheelbase
    let r = state.right * (parameters.track / 2)
    let p = state.position
    return [p + f - r, p + f + r, p - r, p + r]
  }

  /// One physics step of `dt` seconds with the current controls.
  public mutating func step(dt: Double = Vehicle.physicsStep) {
    let p = parameters
    let c = state.controls
    // Front wheels slew toward the commanded angle (positive steering = right = negative angle).
    let target = -min(max(c.steering, -1), 1) * p.maxSteering
    let maxDelta = p.steeringRateDegrees * .pi / 180 * dt
    state.wheelAngle += min(max(target - state.wheelAngle, -maxDelta), maxDelta)
    let throttle = min(max(c.throttle, -1), 1)
    var a = -p.rollingResistance - p.dragCoefficient * state.speed * state.speed
    a += throttle >= 0 ? throttle * p.maxAcceleration : throttle * p.maxBraking
    // Semi-implicit Euler: speed first, then pose with the new speed.
    state.speed = min(max(state.speed + a * dt, 0), p.topSpeed)
    state.heading = wrapAngle(state.heading + state.speed / p.wheelbase * tan(state.wheelAngle) * dt)
    state.position = state.position + state.forward * (state.speed * dt)
  }
}
