import DrivingData
import Foundation
import Testing

@testable import Simulator

@Suite struct EvaluationTests {
  @Test func autopilotReportHasTheIssueKeys() throws {
    let track = try Track(named: "lake")
    let renderer = Renderer(track: track, mapCellSize: 0.4)
    var options = DriveOptions()
    options.laps = 1
    let session = DriveSession(track: track, renderer: renderer, options: options)
    let report = try session.run(ExpertController(expert: ExpertDriver(track: track)), name: "autopilot")
    #expect(report.laps == 1)
    #expect(report.offroadEvents == 0)
    #expect(report.autonomy == 1)
    #expect(report.meanCteM < 0.3 && report.maxCteM < track.halfWidth)
    #expect(report.lapTimesS.count == 1 && report.lapTimesS[0] > 20)
    #expect(abs(report.elapsedS - report.lapTimesS[0]) < 0.1)
    let json = try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any]
    for key in [
      "laps", "offroad_events", "autonomy", "mean_cte_m", "max_cte_m", "mean_speed_mph", "lap_times_s",
    ] {
      #expect(json?[key] != nil, "missing \(key)")
    }
    // The picture is a PNG other tools open: decode it back.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID()).png").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try session.writePicture(to: path)
    let picture = try PNGCodec().decode(contentsOf: path)
    #expect(max(picture.width, picture.height) == 800)
  }

  @Test func offsetsShowADriftToOneSideAndRunningWide() throws {
    // The expert with a constant right-hand trim (positive steering turns right) settles right of
    // the centre line: the mean signed offset moves right (negative), the mean |CTE| grows.
    final class Trimmed: SteeringController {
      var expert: ExpertDriver
      let trim: Double
      let wantsImages = false
      init(_ expert: ExpertDriver, trim: Double) {
        self.expert = expert
        self.trim = trim
      }
      func controls(after observation: Observation) throws -> Controls? {
        var c = expert.controls(for: observation.state)
        c.steering += trim
        return c
      }
    }
    let track = try Track(named: "lake")
    var options = DriveOptions()
    options.timeLimit = 40
    func drive(trim: Double) throws -> DriveEvaluation {
      let session = DriveSession(
        track: track, renderer: Renderer(track: track, mapCellSize: 0.4), options: options)
      return try session.run(Trimmed(ExpertDriver(track: track), trim: trim), name: "trim \(trim)")
    }
    let plain = try drive(trim: 0)
    let right = try drive(trim: 0.05)
    let plainLateral = try #require(plain.meanLateralM)
    let rightLateral = try #require(right.meanLateralM)
    #expect(abs(plainLateral) < 0.1, "expert offset \(plainLateral)")
    #expect(rightLateral < plainLateral - 0.1, "trimmed \(rightLateral), expert \(plainLateral)")
    #expect(right.meanCteM > plain.meanCteM)
    let json = try JSONSerialization.jsonObject(with: right.jsonData()) as? [String: Any]
    let inside = try #require(right.meanCurveInsideM)
    #expect(abs((json?["mean_lateral_m"] as? Double ?? .nan) - rightLateral) < 1e-12)
    #expect(abs((json?["mean_curve_inside_m"] as? Double ?? .nan) - inside) < 1e-12)
    #expect(right.summary.contains(String(format: "offset %+.2f m", rightLateral)))
  }

  @Test func interventionsLowerAutonomyByNvidiasFormula() throws {
    // A controller that never steers leaves the road in every curve.
    final class Straight: SteeringController {
      let wantsImages = false
      func controls(after observation: Observation) throws -> Controls? {
        Controls(steering: 0, throttle: 0.5)
      }
    }
    let track = try Track(named: "jungle")
    var options = DriveOptions()
    options.timeLimit = 60
    let session = DriveSession(
      track: track, renderer: Renderer(track: track, mapCellSize: 0.4), options: options)
    let report = try session.run(Straight(), name: "straight")
    #expect(report.offroadEvents > 0)
    #expect(abs(report.autonomy - max(0, 1 - Double(report.offroadEvents) * 6 / report.elapsedS)) < 1e-12)
    #expect(report.autonomy < 1)
    #expect(session.evaluator.interventions.count == report.offroadEvents)
    // Never steering, it leaves every curve on the outside (each time put back on the centre line,
    // so the mean stays well under the half width: -0.26 m measured).
    let inside = try #require(report.meanCurveInsideM)
    #expect(inside < -0.1, "mean toward the inside of curves \(inside) m")
  }
}
