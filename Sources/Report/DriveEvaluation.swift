// The closed-loop evaluation the Simulator writes (drive.json), read back for the report and for
// the acceptance check of `make demo`.
import Foundation

public struct DriveEvaluation: Decodable, Sendable, Equatable {
  public var track: String
  public var controller: String
  public var laps: Int
  public var offroadEvents: Int
  public var autonomy: Double
  public var meanCteM: Double
  public var maxCteM: Double
  public var meanSpeedMph: Double
  public var lapTimesS: [Double]
  public var elapsedS: Double

  enum CodingKeys: String, CodingKey {
    case track, controller, laps, autonomy
    case offroadEvents = "offroad_events"
    case meanCteM = "mean_cte_m"
    case maxCteM = "max_cte_m"
    case meanSpeedMph = "mean_speed_mph"
    case lapTimesS = "lap_times_s"
    case elapsedS = "elapsed_s"
  }

  public init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ReportError.badFile(path, "cannot read it")
    }
    do { self = try JSONDecoder().decode(DriveEvaluation.self, from: data) } catch {
      throw ReportError.badFile(path, "not a Simulator evaluation: \(error)")
    }
  }

  public var line: String {
    String(
      format:
        "%@: %d lap(s), %d off-road events, autonomy %.1f%%, mean speed %.1f mph, mean |CTE| %.2f m (max %.2f m), %.0f s simulated",
      track, laps, offroadEvents, autonomy * 100, meanSpeedMph, meanCteM, maxCteM, elapsedS)
  }

  /// The acceptance bar: at least `laps` full laps, no off-road event, at least `minSpeed` mph on average.
  public func meets(laps minLaps: Int = 1, minSpeed: Double = 20) -> Bool {
    laps >= minLaps && offroadEvents == 0 && meanSpeedMph >= minSpeed
  }
}
