import ConvNet
import DrivingData
import Foundation
import ModelFile
import TestSupport
import Testing

@testable import Simulator

/// CI's driving check (issue #16): record lake with the simulator, train a small model with
/// TrainNvidia, and run `Simulate evaluate --suite ci` against the Drive servers it starts. A
/// regression in any stage that breaks driving (recording, preparation, training, model files,
/// Drive, the protocol, the simulator) fails here; a model with zeroed weights must fail the suite.
@Suite(.serialized) struct EvaluateSuiteTests {
  /// Runs a built executable; returns its exit status and output.
  func run(_ name: String, _ arguments: [String]) throws -> ExecutableResult {
    try BuiltExecutable.run(name, arguments)
  }

  func suite(in folder: String) throws -> SuiteEvaluation {
    try SuiteEvaluation(jsonData: try Data(contentsOf: URL(fileURLWithPath: folder + "/suite.json")))
  }

  @Test func aFreshlyTrainedModelPassesTheCISuiteAndAZeroedOneFails() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // 1. Record: one lap of lake, then one with recoveries (the model learns to come back).
    var r = try run(
      "SimulateCommand",
      ["record", "--track", "lake", "--laps", "1", "--seed", "1", "--output", dir + "/data/lake"])
    try #require(r.status == 0, "record failed: \(r.output)")
    r = try run(
      "SimulateCommand",
      [
        "record", "--track", "lake", "--laps", "1", "--seed", "2", "--recoveries", "--noise", "0.05",
        "--output",
        dir + "/data/recoveries",
      ])
    try #require(r.status == 0, "record failed: \(r.output)")
    // 2. Train the seed network on the centre camera (and its mirror image) for 2 epochs: 7,400
    //    samples, about 45 s on a loaded 2-core machine; it drives the lap within 0.35 m of the centre line.
    let model = dir + "/model.h5"
    r = try run(
      "TrainNvidiaCommand",
      [
        "--data", dir + "/data", "--store", dir + "/samples.h5", "--output", model, "--epochs", "2",
        "--center-only",
        "--seed", "1", "--no-isolation",
      ])
    try #require(r.status == 0, "TrainNvidia failed: \(r.output)")

    // 3. The CI suite, two seeds on two workers: passes, and the files agree.
    let report = dir + "/report"
    r = try run(
      "SimulateCommand", ["evaluate", "--model", model, "--suite", "ci", "--seeds", "1,2", "--out", report])
    #expect(r.status == 0, "evaluate: \(r.output)")
    #expect(r.output.contains("[2/2]"), "no progress lines: \(r.output)")
    let passed = try suite(in: report)
    #expect(passed.runs.count == 2)
    for run in passed.runs {
      #expect(run.configuration.track == "lake" && run.configuration.laps == 1)
      #expect(
        run.model.laps == 1 && run.model.offroadEvents == 0 && !run.model.stalled, "\(run.model.summary)")
      #expect(run.expert?.offroadEvents == 0)
      #expect(run.passed && run.failures.isEmpty)
      for picture in [run.picture] + (run.expertPicture.map { [$0] } ?? []) {
        let image = try PNGCodec().decode(contentsOf: report + "/" + picture)
        #expect(max(image.width, image.height) == 800)
      }
    }
    let markdown = try String(contentsOfFile: report + "/suite.md", encoding: .utf8)
    #expect(markdown == passed.markdown)
    for row in passed.table {
      #expect(
        markdown.contains(
          "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"))
    }

    // 4. One worker, seeds in the other order: the same runs, to the bit.
    let again = dir + "/again"
    r = try run(
      "SimulateCommand",
      ["evaluate", "--model", model, "--suite", "ci", "--seeds", "2,1", "--jobs", "1", "--out", again])
    #expect(r.status == 0, "evaluate: \(r.output)")
    let serial = try suite(in: again)
    #expect(serial.runs.reversed() == passed.runs)

    // 5. The same network with every weight zero steers straight ahead: the suite must fail.
    let (_, loaded) = try SequentialPredictor.load(path: model)
    try loaded.model.parameters.restore([Float](repeating: 0, count: loaded.model.parameters.count))
    let zeroed = dir + "/zeroed.h5"
    try KerasModelFile.save(loaded.model, to: zeroed, pipeline: loaded.pipeline)
    let failing = dir + "/failing"
    r = try run(
      "SimulateCommand", ["evaluate", "--model", zeroed, "--suite", "ci", "--no-expert", "--out", failing])
    #expect(r.status == 3, "a zeroed model passed: \(r.output)")
    let failed = try suite(in: failing)
    let zeroRun = try #require(failed.runs.first)
    #expect(!zeroRun.passed && zeroRun.model.offroadEvents > 0 && zeroRun.expert == nil)
    #expect(!zeroRun.failures.isEmpty && zeroRun.failures.count <= 5)
    for failure in zeroRun.failures {
      let sheet = try PNGCodec().decode(contentsOf: failing + "/" + failure.picture)
      #expect(sheet.width == 4 * 320 + 3 * 2 && sheet.height == 2 * 164 + 2)
    }
    // 6. The report page shows the suite; Report refuses a page whose pictures are missing.
    r = try run("ReportCommand", [failing])
    #expect(r.status == 0, "Report: \(r.output)")
    let page = try String(contentsOfFile: failing + "/index.html", encoding: .utf8)
    #expect(page.contains("Evaluation suite") && page.contains("FAIL: "))
    for failure in zeroRun.failures { #expect(page.contains(failure.picture)) }
  }
}
