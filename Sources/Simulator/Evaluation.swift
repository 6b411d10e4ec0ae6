// Closed-loop evaluation: laps, interventions, autonomy as NVIDIA defines it, distance from the
// centre line, speed, lap times; printed, written as JSON, and drawn as a picture.
import Foundation

/// The result of a drive. JSON keys are the snake_case names below.
public struct EvaluationReport: Sendable, Codable, Equatable {
  public var track: String
  public var controller: String
  public var laps: Int
  public var offroadEvents: Int
  /// 1 - interventions x 6 s / elapsed seconds (Bojarski et al. 2016), floored at 0.
  public var autonomy: Double
  public var meanCteM: Double
  public var maxCteM: Double
  public var meanSpeedMph: Double
  public var lapTimesS: [Double]
  public var elapsedS: Double
  public var frames: Int
  /// True when the drive ended because no telemetry chain was left alive.
  public var stalled: Bool

  enum CodingKeys: String, CodingKey {
    case track, controller, laps, autonomy, frames, stalled
    case offroadEvents = "offroad_events"
    case meanCteM = "mean_cte_m"
    case maxCteM = "max_cte_m"
    case meanSpeedMph = "mean_speed_mph"
    case lapTimesS = "lap_times_s"
    case elapsedS = "elapsed_s"
  }

  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  public var summary: String {
    let laps = lapTimesS.map { String(format: "%.1f", $0) }.joined(separator: ", ")
    return String(
      format:
        "%@ on %@: %d laps [%@ s], %d off-road, autonomy %.1f%%, CTE mean %.2f m max %.2f m, %.1f mph, %.0f s%@",
      controller, track, self.laps, laps, offroadEvents, autonomy * 100, meanCteM, maxCteM, meanSpeedMph,
      elapsedS, stalled ? " (protocol stalled)" : "")
  }
}

/// Accumulates a drive step by step.
public struct Evaluator: Sendable {
  public let track: Track
  /// Centre of the car and its cross-track error at every step (for the picture).
  public private(set) var path: [(point: Vec2, cte: Double)] = []
  public private(set) var interventions: [Vec2] = []
  private var cteSum = 0.0
  private var cteMax = 0.0
  private var speedSum = 0.0

  public init(track: Track) { self.track = track }

  public mutating func record(_ world: World, offRoadEvents: Int) {
    let here = world.location
    let cte = abs(here.lateral)
    path.append((world.vehicle.center, cte))
    cteSum += cte
    cteMax = max(cteMax, cte)
    speedSum += world.vehicle.state.speedMph
    for _ in 0..<offRoadEvents { interventions.append(world.vehicle.center) }
  }

  public func report(world: World, controller: String, frames: Int, stalled: Bool) -> EvaluationReport {
    let n = Double(max(path.count, 1))
    let elapsed = world.time
    let autonomy = elapsed > 0 ? max(0, 1 - Double(world.offRoadEvents) * 6 / elapsed) : 0
    return EvaluationReport(
      track: track.name, controller: controller, laps: world.laps.lapsCompleted,
      offroadEvents: world.offRoadEvents, autonomy: autonomy, meanCteM: cteSum / n, maxCteM: cteMax,
      meanSpeedMph: speedSum / n, lapTimesS: world.laps.lapTimes, elapsedS: elapsed, frames: frames,
      stalled: stalled)
  }
}
