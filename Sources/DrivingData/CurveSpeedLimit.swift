import Foundation

/// Slows the car for curves, as the simulator's expert does, from the steering the model sends.
///
/// A car steering `s` (normalised, -1...1) follows a curvature of `tan(|s| x maxSteering) /
/// wheelbase` (a bicycle model); a lateral acceleration `a` allows `sqrt(a / curvature)` there. The
/// curvature is held as a peak that decays by `decay` per telemetry frame, so one straighter frame
/// in a curve does not send the car back to its set speed, and a noisy frame on a straight slows it
/// only briefly. drive.py has no such limit: `Drive` applies one only when asked (`--curve-accel`).
public struct CurveSpeedLimit: Sendable, Equatable {
  /// Lateral acceleration allowed in curves (m/s^2); the simulator's expert uses 3.
  public var lateralAcceleration: Double
  /// Distance between the axles (m): the simulator's car, 2.6.
  public var wheelbase = 2.6
  /// Wheel angle at steering 1 (degrees): Unity's and the simulator's 25.
  public var maxSteeringDegrees = 25.0
  /// Per-frame factor of the held curvature (0.9: half-life of about 7 frames, 0.33 s at 20 Hz).
  public var decay = 0.9
  /// Never slower than this (mph), whatever the curvature.
  public var minimumSpeedMph = 5.0

  public init(lateralAcceleration: Double) {
    self.lateralAcceleration = lateralAcceleration
  }

  /// Curvature (1/m) of the path that normalised steering `s` follows.
  public func curvature(steering s: Double) -> Double {
    tan(min(abs(s), 1) * maxSteeringDegrees * .pi / 180) / wheelbase
  }

  /// Highest speed (mph) that keeps the lateral acceleration within the limit on `curvature`.
  public func speedLimitMph(curvature: Double) -> Double {
    guard curvature > 0 else { return .infinity }
    let metresPerSecond = (lateralAcceleration / curvature).squareRoot()
    return max(metresPerSecond / metresPerSecondPerMph, minimumSpeedMph)
  }
}
