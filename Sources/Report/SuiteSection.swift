// The evaluation suite on the report page (`Simulate evaluate` wrote suite.json): the table of
// suite.md, the path pictures and the failure gallery (2 s of frames before each off-road event).
import DrivingData
import Foundation

extension ReportFolder {
  /// Reads suite.json; nil when the suite did not run.
  public func suiteEvaluation() throws -> SuiteEvaluation? {
    let file = path + "/suite.json"
    guard let data = FileManager.default.contents(atPath: file) else { return nil }
    do { return try SuiteEvaluation(jsonData: data) } catch {
      throw ReportError.badFile(file, "not a suite evaluation: \(error)")
    }
  }

  public func suiteSection() throws -> ReportSection {
    var s = ReportSection(title: "Evaluation suite")
    guard let suite = try suiteEvaluation() else {
      s.blocks.append(.note("No suite.json: Simulate evaluate was not run with --out \(path)."))
      return s
    }
    let failed = suite.runs.filter { !$0.passed }.count
    s.blocks.append(
      .paragraph(
        "Suite \(suite.suite), model \(suite.model): "
          + (failed == 0
            ? "all \(suite.runs.count) runs met their goals."
            : "\(failed) of \(suite.runs.count) runs did not meet their goals.")
          + " Each run is one closed-loop drive of the model against its own Drive server; the expert row under it is the simulator's pure-pursuit driver under the same latency, conditions and seed (the upper bound). Off-road events are interventions."
      ))
    s.blocks.append(.table(suite.table))
    let paths = suite.runs.flatMap { run -> [(source: String, caption: String)] in
      [(run.picture, "\(run.configuration.id): model")]
        + (run.expertPicture.map { [($0, "\(run.configuration.id): expert")] } ?? [])
    }
    if !paths.isEmpty {
      s.blocks.append(
        .paragraph(
          "Driven paths, green on the centre line to red at the road edge; rings mark off-road events."))
      s.blocks.append(.gallery(paths, thumbnailWidth: 260))
    }
    let failures = suite.runs.flatMap { run in run.failures.map { (run, $0) } }
    if failures.isEmpty {
      s.blocks.append(.paragraph("Failure gallery: no off-road event in any run."))
    } else {
      s.blocks.append(
        .paragraph(
          "Failure gallery: the centre camera's last 2 seconds before each off-road event (oldest first, one frame every 0.25 s; the red bar marks the last frame before the car left the road)."
        ))
      for (run, f) in failures {
        s.blocks.append(
          .figure(
            source: f.picture,
            caption: String(
              format: "%@, lap %d, t = %.2f s, put back at (%.1f, %.1f) m", run.configuration.id, f.lap,
              f.timeS,
              f.x, f.y)))
      }
    }
    return s
  }
}
