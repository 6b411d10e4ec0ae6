// One row of a driving_log.csv: three camera images and the controls at that instant.
import TensorCore

/// A recorded frame. Paths are as written by `RecordingWriter`, or resolved to existing files by
/// `RecordingReader`. Steering is normalized to -1...1 (wheel angle / 25 degrees).
public struct DrivingLogRow: Sendable, Equatable {
  public var center: String
  public var left: String
  public var right: String
  public var steering: Float
  public var throttle: Float
  public var brake: Float
  /// Miles per hour, 0...30 in the simulator.
  public var speed: Float
  /// 1-based line number in the CSV (0 when unknown).
  public var line: Int

  public init(
    center: String, left: String, right: String, steering: Float, throttle: Float, brake: Float,
    speed: Float, line: Int = 0
  ) {
    self.center = center
    self.left = left
    self.right = right
    self.steering = steering
    self.throttle = throttle
    self.brake = brake
    self.speed = speed
    self.line = line
  }

  /// The image path of `camera`.
  public func path(_ camera: Camera) -> String {
    switch camera {
    case .center: center
    case .left: left
    case .right: right
    }
  }

  /// The CSV line the simulator writes for this row (no newline): absolute paths, no quoting,
  /// .NET number formatting.
  public var csvLine: String {
    let numbers = [steering, throttle, brake, speed].map(DotNetNumber.format)
    return ([center, left, right] + numbers).joined(separator: ",")
  }
}
