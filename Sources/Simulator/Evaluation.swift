// Closed-loop evaluation: laps, interventions, autonomy as NVIDIA defines it, distance from the
// centre line, speed, lap times, accumulated into DrivingData's `DriveEvaluation` (drive.json).
import DrivingData
import Foundation

/// Accumulates a drive step by step.
public struct Evaluator: Sendable {
  public let track: Track
  /// Centre of the car and its cross-track error at every step (for the picture).
  public private(set) var path: [(point: Vec2, cte: Double)] = []
  public private(set) var interventions: [Vec2] = []
  /// When (simulated seconds) and after which frame each intervention began.
  public private(set) var interventionTimes: [Double] = []
  public private(set) var interventionFrames: [Int] = []
  private var cteSum = 0.0
  private var cteMax = 0.0
  private var speedSum = 0.0
  private var lateralSum = 0.0
  private var insideSum = 0.0
  private var curveSteps = 0
  /// Curves tighter than this radius (m) count for `meanCurveInsideM`.
  public static let curveRadius = 100.0

  public init(track: Track) { self.track = track }

  /// `frame`: the 0-based index of the telemetry frame this step followed.
  public mutating func record(_ world: World, offRoadEvents: Int, frame: Int = 0) {
    let here = world.location
    let cte = abs(here.lateral)
    path.append((world.vehicle.center, cte))
    cteSum += cte
    cteMax = max(cteMax, cte)
    lateralSum += here.lateral
    // Signed curvature is positive turning left, lateral positive left of travel: their signs
    // agree on the inside of the curve.
    let curvature = track.curvatures[here.segment]
    if abs(curvature) > 1 / Self.curveRadius {
      insideSum += curvature > 0 ? here.lateral : -here.lateral
      curveSteps += 1
    }
    speedSum += world.vehicle.state.speedMph
    for _ in 0..<offRoadEvents {
      interventions.append(world.vehicle.center)
      interventionTimes.append(world.time)
      interventionFrames.append(frame)
    }
  }

  public func report(world: World, controller: String, frames: Int, stalled: Bool) -> DriveEvaluation {
    let n = Double(max(path.count, 1))
    let elapsed = world.time
    let autonomy = elapsed > 0 ? max(0, 1 - Double(world.offRoadEvents) * 6 / elapsed) : 0
    var result = DriveEvaluation(
      track: track.name, controller: controller, laps: world.laps.lapsCompleted,
      offroadEvents: world.offRoadEvents, autonomy: autonomy, meanCteM: cteSum / n, maxCteM: cteMax,
      meanSpeedMph: speedSum / n, lapTimesS: world.laps.lapTimes, elapsedS: elapsed, frames: frames,
      stalled: stalled)
    result.meanLateralM = lateralSum / n
    result.meanCurveInsideM = curveSteps > 0 ? insideSum / Double(curveSteps) : nil
    if !interventionTimes.isEmpty {
      result.offroadTimesS = interventionTimes
      result.offroadFrames = interventionFrames
    }
    return result
  }
}
