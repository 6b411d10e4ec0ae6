import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Report

/// The typed schemas read what earlier builds wrote, and what this build writes reads back the same.
@Suite struct SchemaCompatibilityTests {
  /// dataset.json as the previous TrainNvidia wrote it (a `[String: Value]` dictionary, sorted keys,
  /// no `reused_store`).
  static let oldDatasetJSON = """
    {"dropped_near_zero":12,"fingerprint":"ab12","histogram_augmented":[1,2],"histogram_balanced":[3,4],
     "histogram_recorded":[5,6],"histogram_validation":[7,8],"image_shape":[66,200,3],
     "options":"{\\"seed\\":1}","recordings":3,"rows_read":2448,"rows_skipped":2,"samples_train":11748,
     "samples_validation":2940,"store":"demo/samples.h5","train_rows":1958,"validation_rows":490}
    """

  @Test func oldDatasetFileDecodes() throws {
    let facts = try JSONDecoder().decode(DatasetFacts.self, from: Data(Self.oldDatasetJSON.utf8))
    #expect(facts.rowsRead == 2448 && facts.rowsSkipped == 2 && facts.droppedNearZero == 12)
    #expect(facts.samplesTrain == 11748 && facts.samplesValidation == 2940)
    #expect(facts.imageShape == [66, 200, 3] && facts.store == "demo/samples.h5")
    #expect(facts.histogramValidation == [7, 8] && facts.options == #"{"seed":1}"#)
    #expect(facts.reusedStore == nil)
  }

  @Test func datasetFactsRoundTripAndReuseReachesThePage() throws {
    var facts = try JSONDecoder().decode(DatasetFacts.self, from: Data(Self.oldDatasetJSON.utf8))
    facts.reusedStore = true
    let data = try JSONEncoder().encode(facts)
    #expect(try JSONDecoder().decode(DatasetFacts.self, from: data) == facts)
    #expect(String(decoding: data, as: UTF8.self).contains(#""reused_store":true"#))
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-schema")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try data.write(to: URL(fileURLWithPath: dir + "/dataset.json"))
    let reused = ReportPage(title: "t", sections: [try ReportFolder(path: dir).datasetSection()]).render()
    #expect(reused.contains("reused (its fingerprint matched"))
    #expect(reused.contains("<td>rows read</td><td>2,448</td>"))
    try Data(Self.oldDatasetJSON.utf8).write(to: URL(fileURLWithPath: dir + "/dataset.json"))
    let old = ReportPage(title: "t", sections: [try ReportFolder(path: dir).datasetSection()]).render()
    #expect(!old.contains("reused (its fingerprint matched"))
    #expect(old.contains("<td>validation samples (images)</td><td>2,940</td>"))
  }

  /// drive.json without `frames` and `stalled`, which the report never read.
  @Test func oldEvaluationWithoutFramesDecodes() throws {
    let json = """
      {"track": "jungle", "controller": "remote", "laps": 0, "offroad_events": 2, "autonomy": 0.5,
       "mean_cte_m": 1.5, "max_cte_m": 3, "mean_speed_mph": 12, "lap_times_s": [], "elapsed_s": 24}
      """
    let e = try JSONDecoder().decode(DriveEvaluation.self, from: Data(json.utf8))
    #expect(e.track == "jungle" && e.offroadEvents == 2 && e.frames == 0 && !e.stalled)
    #expect(!e.meets())
  }

  @Test func evaluationTheSimulatorWritesIsWhatTheReportReads() throws {
    let written = DriveEvaluation(
      track: "lake", controller: "remote", laps: 2, offroadEvents: 0, autonomy: 1, meanCteM: 0.25,
      maxCteM: 0.9, meanSpeedMph: 24.5, lapTimesS: [80.5, 79.25], elapsedS: 160, frames: 3200, stalled: true)
    var withSettings = written
    (withSettings.latency, withSettings.conditions) = ("150.0 +- 30.0 ms", "moving shadows, seed 2")
    let decoded = try JSONDecoder().decode(DriveEvaluation.self, from: try withSettings.jsonData())
    #expect(decoded == withSettings)
    #expect(withSettings.line.hasSuffix(", latency 150.0 +- 30.0 ms, conditions: moving shadows, seed 2"))
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-schema")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try written.jsonData().write(to: URL(fileURLWithPath: dir + "/drive.json"))
    #expect(try DriveEvaluation(contentsOf: dir + "/drive.json") == written)
    let text = String(decoding: try written.jsonData(), as: UTF8.self)
    #expect(text.contains(#""offroad_events" : 0"#) && text.contains(#""mean_speed_mph" : 24.5"#))
  }
}
