import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Report

/// suite.json (Simulate evaluate) on the report page: the same table as suite.md, the path
/// pictures and one figure per off-road event of the failure gallery.
@Suite struct SuiteSectionTests {
  static func drive(laps: Int, offroad: Int, cte: Double) -> DriveEvaluation {
    var e = DriveEvaluation(
      track: "lake", controller: "model", laps: laps, offroadEvents: offroad, autonomy: 1, meanCteM: cte,
      maxCteM: 2 * cte, meanSpeedMph: 29.5, lapTimesS: Array(repeating: 58, count: laps),
      elapsedS: 58 * Double(laps))
    e.latency = "150.0 +- 30.0 ms"
    e.conditions = "conditions"
    return e
  }

  static func suite() -> SuiteEvaluation {
    func configuration(_ seed: UInt64) -> SuiteConfiguration {
      SuiteConfiguration(
        id: "lake-30mph-seed\(seed)-lat150pm30-cond", track: "lake", speedMph: 30, seed: seed,
        latency: "150.0 +- 30.0 ms", latencyMs: 150, latencyJitterMs: 30, conditions: true, laps: 2)
    }
    let good = SuiteRunResult(
      configuration: configuration(1), model: drive(laps: 2, offroad: 0, cte: 0.1),
      expert: drive(laps: 2, offroad: 0, cte: 0.09), goal: "all laps, <= 0 off-road", passed: true,
      reasons: [],
      picture: "suite/a.png", expertPicture: "suite/a-expert.png", failures: [])
    let bad = SuiteRunResult(
      configuration: configuration(2), model: drive(laps: 2, offroad: 1, cte: 0.3),
      expert: drive(laps: 2, offroad: 0, cte: 0.09), goal: "all laps, <= 0 off-road", passed: false,
      reasons: ["1 off-road"], picture: "suite/b.png", expertPicture: nil,
      failures: [SuiteFailure(timeS: 41.5, lap: 1, x: 10, y: -3, picture: "suite/b-offroad1.png")])
    return SuiteEvaluation(suite: "test", model: "model.h5", runs: [good, bad])
  }

  @Test func theSectionShowsSuiteMdsTableAndTheFailureGallery() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-suite")
    defer { RecordingBuilder.remove(dir) }
    let suite = Self.suite()
    try suite.jsonData().write(to: URL(fileURLWithPath: dir + "/suite.json"))
    let folder = ReportFolder(path: dir)
    #expect(try folder.suiteEvaluation() == suite)
    let section = try folder.suiteSection()
    let tables = section.blocks.compactMap { block -> [[String]]? in
      if case .table(let rows) = block { return rows }
      return nil
    }
    #expect(tables == [suite.table])
    // Model row and expert row per run; the failing run says why.
    #expect(suite.table.count == 1 + 4)
    #expect(suite.table[3][1] == "model" && suite.table[3].last == "FAIL: 1 off-road")
    #expect(suite.table[2][1] == "expert")
    let page = ReportPage(title: "t", sections: [section])
    #expect(
      page.imageSources == ["suite/a.png", "suite/a-expert.png", "suite/b.png", "suite/b-offroad1.png"])
    // suite.md carries the same rows.
    let md = suite.markdown
    for row in suite.table {
      #expect(
        md.contains(
          "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"))
    }
    #expect(md.contains("1 of 2 runs FAILED") && md.contains("suite/b-offroad1.png"))
    #expect(!suite.passed)
  }

  @Test func aNewerSchemaOrABrokenFileIsRefused() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-suite")
    defer { RecordingBuilder.remove(dir) }
    var suite = Self.suite()
    suite.schema = SuiteEvaluation.currentSchema + 1
    try suite.jsonData().write(to: URL(fileURLWithPath: dir + "/suite.json"))
    #expect(throws: ReportError.self) { try ReportFolder(path: dir).suiteSection() }
    try "{".write(toFile: dir + "/suite.json", atomically: true, encoding: .utf8)
    #expect(throws: ReportError.self) { try ReportFolder(path: dir).suiteSection() }
    try FileManager.default.removeItem(atPath: dir + "/suite.json")
    let section = try ReportFolder(path: dir).suiteSection()
    #expect(section.blocks.count == 1)
  }
}
