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

extension DrivingLogRow {
  /// Seconds (local time, from an arbitrary epoch) encoded in the simulator's image name
  /// `center_yyyy_MM_dd_HH_mm_ss_fff.jpg`; nil for other names. Differences between rows of one
  /// recording are real elapsed time (except across a daylight-saving change).
  public var timestamp: Double? {
    let name = center.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? ""
    let stem = name.split(separator: ".").first ?? ""
    let parts = stem.split(separator: "_").suffix(7).compactMap { Int($0) }
    // Fields out of calendar range are not a simulator name (and a year near Int.max would
    // overflow the day arithmetic).
    let ranges = [0...9999, 1...12, 1...31, 0...23, 0...59, 0...60, 0...999]
    guard parts.count == 7, zip(parts, ranges).allSatisfy({ $1.contains($0) }) else { return nil }
    let days = daysFromCivil(year: parts[0], month: parts[1], day: parts[2])
    let seconds = ((days * 24 + parts[3]) * 60 + parts[4]) * 60 + parts[5]
    return Double(seconds) + Double(parts[6]) / 1000
  }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
package func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
  let y = month <= 2 ? year - 1 : year
  let era = (y >= 0 ? y : y - 399) / 400
  let yearOfEra = y - era * 400
  let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
  let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}
