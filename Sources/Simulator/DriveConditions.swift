// Test-time conditions for an autonomous drive (`Simulate drive --conditions`): what a real car and
// the Unity simulator add on top of a clean lockstep world. Every draw is seeded, so a drive under
// conditions is as reproducible as one without.
import Foundation
import TensorCore

/// Perturbations of a drive, each seeded by `seed`.
public struct DriveConditions: Sendable, Equatable {
  public var seed: UInt64 = 1
  /// A new lighting for every lap, drawn between dusk and noon.
  public var randomLighting = true
  /// Cloud shadows drifting over the ground.
  public var shadows = true
  /// Standard deviation of the steering actuator's noise (normalized steering; 0.03 = 0.75 degrees),
  /// smooth over about 0.2 s (Ornstein-Uhlenbeck).
  public var steeringNoise = 0.03
  /// Largest front-wheel slew (degrees per second; the car's own is 250).
  public var steeringRateDegrees = 60.0
  /// Standard deviation of the camera pitch (degrees), smooth over about 0.3 s.
  public var pitchJitterDegrees = 0.8

  public init(seed: UInt64 = 1) { self.seed = seed }

  /// All of the above at their defaults.
  public static func standard(seed: UInt64) -> DriveConditions { DriveConditions(seed: seed) }

  /// The parts that can be switched on and off (`Simulate drive --only-conditions`).
  public enum Kind: String, Sendable, CaseIterable {
    case lighting, shadows, actuator, pitch
  }

  /// These conditions with every part not in `kinds` switched off (the actuator back to the car's
  /// own steering rate, without noise).
  public func keeping(only kinds: Set<Kind>) -> DriveConditions {
    var c = self
    c.randomLighting = randomLighting && kinds.contains(.lighting)
    c.shadows = shadows && kinds.contains(.shadows)
    if !kinds.contains(.actuator) {
      c.steeringNoise = 0
      c.steeringRateDegrees = VehicleParameters().steeringRateDegrees
    }
    if !kinds.contains(.pitch) { c.pitchJitterDegrees = 0 }
    return c
  }

  /// One line for logs and reports.
  public var summary: String { settings + ", seed \(seed)" }

  /// What is perturbed and how much, without the seed.
  public var settings: String {
    var parts: [String] = []
    if randomLighting { parts.append("lighting dusk-noon per lap") }
    if shadows { parts.append("moving shadows") }
    parts.append("steering noise \(steeringNoise), rate \(Int(steeringRateDegrees)) deg/s")
    parts.append("pitch jitter \(pitchJitterDegrees) deg")
    return parts.joined(separator: ", ")
  }
}

extension Lighting {
  /// Between dusk (`u` = 0: dark, warm, flat) and noon (`u` = 1).
  public static func dayTime(_ u: Double) -> Lighting {
    let u = min(max(u, 0), 1)
    return Lighting(brightness: 0.45 + 0.55 * u, warmth: 0.14 * (1 - u), contrast: 0.8 + 0.2 * u)
  }
}

/// The running state of the conditions during one drive.
struct ConditionsState {
  let conditions: DriveConditions
  private var random: SplitMix64
  private(set) var lighting: Lighting
  private var lightingLap = 0
  let shadowField: ShadowField?
  private var steeringOffset = 0.0
  private var pitchOffset = 0.0
  private var lastTime = 0.0

  init(_ conditions: DriveConditions, baseLighting: Lighting) {
    self.conditions = conditions
    random = SplitMix64(seed: conditions.seed, 0xC0_4D)
    lighting = conditions.randomLighting ? .dayTime(Double(random.nextUnitFloat())) : baseLighting
    shadowField = conditions.shadows ? ShadowField(seed: conditions.seed) : nil
  }

  /// Advances the smooth noises to `time` and changes the light at a new lap.
  mutating func update(time: Double, lap: Int) {
    if conditions.randomLighting, lap != lightingLap {
      lightingLap = lap
      lighting = .dayTime(Double(random.nextUnitFloat()))
    }
    let dt = max(time - lastTime, 0)
    lastTime = time
    steeringOffset = Self.ornsteinUhlenbeck(
      steeringOffset, sigma: conditions.steeringNoise, tau: 0.2, dt: dt, random: &random)
    pitchOffset = Self.ornsteinUhlenbeck(
      pitchOffset, sigma: conditions.pitchJitterDegrees, tau: 0.3, dt: dt, random: &random)
  }

  /// What the actuator does with a command: adds its noise.
  func actuate(_ controls: Controls) -> Controls {
    Controls(steering: min(max(controls.steering + steeringOffset, -1), 1), throttle: controls.throttle)
  }

  func effects(time: Double) -> FrameEffects {
    FrameEffects(pitchOffsetDegrees: pitchOffset, shadows: shadowField, time: time)
  }

  /// Exact discretisation of an OU process with stationary deviation `sigma` and time constant `tau`.
  static func ornsteinUhlenbeck(
    _ x: Double, sigma: Double, tau: Double, dt: Double, random: inout SplitMix64
  ) -> Double {
    guard sigma > 0, dt > 0 else { return sigma > 0 ? x : 0 }
    let decay = exp(-dt / tau)
    return x * decay + sigma * (1 - decay * decay).squareRoot() * Double(random.nextNormal())
  }
}
