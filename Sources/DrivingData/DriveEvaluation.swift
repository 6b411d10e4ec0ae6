// The closed-loop evaluation of one drive: the Simulator writes it (drive.json), the report and
// the acceptance check of `make demo` read it. One Codable type, so writer and reader cannot drift.
import Foundation

/// The result of a drive. JSON keys are the snake_case names below.
public struct DriveEvaluation: Sendable, Codable, Equatable {
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
  /// Telemetry frames answered; 0 when the file does not say.
  public var frames: Int
  /// True when the drive ended because no telemetry chain was left alive.
  public var stalled: Bool
  /// The latency the drive ran with ("150.0 +- 30.0 ms"); nil in lockstep or real time.
  public var latency: String?
  /// The test-time conditions it ran under; nil without.
  public var conditions: String?
  /// Simulated seconds at which each off-road event began; nil when none (or not recorded).
  public var offroadTimesS: [Double]?
  /// The 0-based telemetry frame after which each off-road event began (the report shows the
  /// saliency of the frames just before it); nil when none (or not recorded).
  public var offroadFrames: [Int]?
  /// Mean signed distance from the centre line (m), positive left of travel: a steady drift to
  /// one side (a side-camera correction, a biased model). nil in files from before it was recorded.
  public var meanLateralM: Double?
  /// Mean distance toward the inside of curves (m) over the steps in curves of radius under 100 m:
  /// positive cuts them, negative runs wide (late steering, latency). nil when not recorded or no
  /// step was in such a curve.
  public var meanCurveInsideM: Double?

  public init(
    track: String, controller: String, laps: Int, offroadEvents: Int, autonomy: Double, meanCteM: Double,
    maxCteM: Double, meanSpeedMph: Double, lapTimesS: [Double], elapsedS: Double, frames: Int = 0,
    stalled: Bool = false
  ) {
    self.track = track
    self.controller = controller
    self.laps = laps
    self.offroadEvents = offroadEvents
    self.autonomy = autonomy
    self.meanCteM = meanCteM
    self.maxCteM = maxCteM
    self.meanSpeedMph = meanSpeedMph
    self.lapTimesS = lapTimesS
    self.elapsedS = elapsedS
    self.frames = frames
    self.stalled = stalled
  }

  enum CodingKeys: String, CodingKey {
    case track, controller, laps, autonomy, frames, stalled, latency, conditions
    case offroadTimesS = "offroad_times_s"
    case offroadFrames = "offroad_frames"
    case meanLateralM = "mean_lateral_m"
    case meanCurveInsideM = "mean_curve_inside_m"
    case offroadEvents = "offroad_events"
    case meanCteM = "mean_cte_m"
    case maxCteM = "max_cte_m"
    case meanSpeedMph = "mean_speed_mph"
    case lapTimesS = "lap_times_s"
    case elapsedS = "elapsed_s"
  }

  /// `frames` and `stalled` default to 0 and false, `latency` and `conditions` to nil: readers never needed them, so they stay optional.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    track = try c.decode(String.self, forKey: .track)
    controller = try c.decode(String.self, forKey: .controller)
    laps = try c.decode(Int.self, forKey: .laps)
    offroadEvents = try c.decode(Int.self, forKey: .offroadEvents)
    autonomy = try c.decode(Double.self, forKey: .autonomy)
    meanCteM = try c.decode(Double.self, forKey: .meanCteM)
    maxCteM = try c.decode(Double.self, forKey: .maxCteM)
    meanSpeedMph = try c.decode(Double.self, forKey: .meanSpeedMph)
    lapTimesS = try c.decode([Double].self, forKey: .lapTimesS)
    elapsedS = try c.decode(Double.self, forKey: .elapsedS)
    frames = try c.decodeIfPresent(Int.self, forKey: .frames) ?? 0
    stalled = try c.decodeIfPresent(Bool.self, forKey: .stalled) ?? false
    latency = try c.decodeIfPresent(String.self, forKey: .latency)
    conditions = try c.decodeIfPresent(String.self, forKey: .conditions)
    offroadTimesS = try c.decodeIfPresent([Double].self, forKey: .offroadTimesS)
    offroadFrames = try c.decodeIfPresent([Int].self, forKey: .offroadFrames)
    meanLateralM = try c.decodeIfPresent(Double.self, forKey: .meanLateralM)
    meanCurveInsideM = try c.decodeIfPresent(Double.self, forKey: .meanCurveInsideM)
  }

  /// Pretty-printed JSON with sorted keys, as `drive.json` is written.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// One line for the Simulator's console.
  public var summary: String {
    let laps = lapTimesS.map { String(format: "%.1f", $0) }.joined(separator: ", ")
    return String(
      format:
        "%@ on %@: %d laps [%@ s], %d off-road, autonomy %.1f%%, CTE mean %.2f m max %.2f m, %.1f mph, %.0f s%@",
      controller, track, self.laps, laps, offroadEvents, autonomy * 100, meanCteM, maxCteM, meanSpeedMph,
      elapsedS, stalled ? " (protocol stalled)" : "") + offsets
  }

  /// ", offset +0.02 m, in curves -0.11 m" when recorded.
  var offsets: String {
    guard let meanLateralM else { return "" }
    return String(format: ", offset %+.2f m", meanLateralM)
      + (meanCurveInsideM.map { String(format: ", in curves %+.2f m", $0) } ?? "")
  }

  /// One line for the report.
  public var line: String {
    String(
      format:
        "%@: %d lap(s), %d off-road events, autonomy %.1f%%, mean speed %.1f mph, mean |CTE| %.2f m (max %.2f m), %.0f s simulated",
      track, laps, offroadEvents, autonomy * 100, meanSpeedMph, meanCteM, maxCteM, elapsedS)
      + (latency.map { ", latency \($0)" } ?? "") + (conditions.map { ", conditions: \($0)" } ?? "")
  }

  /// The acceptance bar: at least `laps` full laps, no off-road event, at least `minSpeed` mph on average.
  public func meets(laps minLaps: Int = 1, minSpeed: Double = 20) -> Bool {
    laps >= minLaps && offroadEvents == 0 && meanSpeedMph >= minSpeed
  }
}
