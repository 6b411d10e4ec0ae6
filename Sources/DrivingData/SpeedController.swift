/// drive.py's PI speed controller: `error = set - speed; integral += error;
/// throttle = Kp * error + Ki * integral`, once per telemetry, no dt, no anti-windup.
/// Each connected car has its own controller, so one client never moves another's integral.
/// With a `curveLimit`, the target is the set speed or the curve's limit, whichever is lower.
public struct SpeedController: Sendable {
  public var setSpeed: Double
  public var kp: Double
  public var ki: Double
  /// Slows for the curvature the steering implies; nil drives at `setSpeed` as drive.py does.
  public var curveLimit: CurveSpeedLimit?
  public private(set) var integral: Double = 0
  /// The target of the last update (mph).
  public private(set) var target: Double
  /// The decaying peak of the steered curvature (1/m), when there is a `curveLimit`.
  public private(set) var heldCurvature: Double = 0

  public init(
    setSpeed: Double = 25, kp: Double = 0.1, ki: Double = 0.002, curveLimit: CurveSpeedLimit? = nil
  ) {
    self.setSpeed = setSpeed
    self.kp = kp
    self.ki = ki
    self.curveLimit = curveLimit
    target = setSpeed
  }

  /// Throttle for the measured `speed` (mph). Unclamped, as drive.py; the reply clamps to -1...1.
  public mutating func update(speed: Double) -> Double {
    target = setSpeed
    return pi(speed: speed)
  }

  /// Throttle for the measured `speed` (mph) while sending `steering` (-1...1): without a
  /// `curveLimit` the same as `update(speed:)`.
  public mutating func update(speed: Double, steering: Double) -> Double {
    guard let limit = curveLimit else { return update(speed: speed) }
    heldCurvature = max(limit.curvature(steering: steering), heldCurvature * limit.decay)
    target = min(setSpeed, limit.speedLimitMph(curvature: heldCurvature))
    return pi(speed: speed)
  }

  private mutating func pi(speed: Double) -> Double {
    let error = target - speed
    integral += error
    return kp * error + ki * integral
  }
}
