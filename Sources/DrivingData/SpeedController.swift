/// drive.py's PI speed controller: `error = set - speed; integral += error;
/// throttle = Kp * error + Ki * integral`, once per telemetry, no dt, no anti-windup.
/// Each connected car has its own controller, so one client never moves another's integral.
public struct SpeedController: Sendable {
  public var setSpeed: Double
  public var kp: Double
  public var ki: Double
  public private(set) var integral: Double = 0

  public init(setSpeed: Double = 25, kp: Double = 0.1, ki: Double = 0.002) {
    self.setSpeed = setSpeed
    self.kp = kp
    self.ki = ki
  }

  /// Throttle for the measured `speed` (mph). Unclamped, as drive.py; the reply clamps to -1...1.
  public mutating func update(speed: Double) -> Double {
    let error = setSpeed - speed
    integral += error
    return kp * error + ki * integral
  }
}
