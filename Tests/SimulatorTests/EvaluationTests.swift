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
  }
}
