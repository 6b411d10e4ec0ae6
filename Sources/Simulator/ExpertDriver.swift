// The autopilot expert: pure pursuit on the centre line (or a path offset from it), with a speed
// limit from the curvature ahead.
import Foundation

/// Pure-pursuit steering and curvature-limited speed. Deterministic: a function of the state only.
public struct ExpertDriver: Sendable {
  public let track: Track
  public let parameters: VehicleParameters
  /// Cruise speed (mph) on straights.
  public var cruiseSpeedMph: Double
  /// Lateral acceleration allowed in curves (m/s^2).
  public var lateralAcceleration = 3.0
  /// Lookahead = `lookaheadTime` x speed + `minimumLookahead` (m).
  public var lookaheadTime = 0.55
  public var minimumLookahead = 4.0
  /// Offset of the followed path from the centre line (m, positive left). Recoveries move it.
  public var pathOffset = 0.0

  public init(track: Track, parameters: VehicleParameters = VehicleParameters(), cruiseSpeedMph: Double = 25)
  {
    self.track = track
    self.parameters = parameters
    self.cruiseSpeedMph = cruiseSpeedMph
  }

  /// The expert's controls for a car in `state`; `hint` speeds up the centre-line search.
  public func controls(for state: VehicleState, hint: Int? = nil) -> Controls {
    let here = track.locate(state.position, hint: hint)
    let lookahead = lookaheadTime * state.speed + minimumLookahead
    let (centre, heading) = track.pose(at: here.s + lookahead)
    let target = centre + Vec2(heading: heading).leftNormal * pathOffset
    // Pure pursuit (Coulter 1992): the arc from the rear axle through the target point.
    let toTarget = target - state.position
    let alpha = wrapAngle(toTarget.heading - state.heading)
    let distance = max(toTarget.length, 1e-3)
    let wheel = atan(2 * parameters.wheelbase * sin(alpha) / distance)
    let steering = min(max(-wheel / parameters.maxSteering, -1), 1)
    return Controls(steering: steering, throttle: throttle(state: state, s: here.s))
  }

  /// Target speed: cruise, or slower where the curve within braking distance needs it.
  public func targetSpeed(at s: Double, speed: Double) -> Double {
    let horizon = speed * speed / (2 * 0.5 * parameters.maxBraking) + 8
    var peak = 0.0
    var d = 0.0
    while d <= horizon {
      peak = max(peak, abs(track.curvature(at: s + d)))
      d += 1
    }
    let cruise = min(cruiseSpeedMph, parameters.topSpeedMph) * metresPerSecondPerMph
    return peak > 0 ? min(cruise, (lateralAcceleration / peak).squareRoot()) : cruise
  }

  func throttle(state: VehicleState, s: Double) -> Double {
    let error = targetSpeed(at: s, speed: state.speed) - state.speed
    return min(max(0.6 * error, -1), 1)
  }
}
