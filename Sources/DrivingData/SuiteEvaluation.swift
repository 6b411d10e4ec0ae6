// The result of an evaluation suite (`Simulate evaluate`): suite.json and suite.md. The Simulator
// writes it, the report reads it; one Codable type and one table function, so the JSON, the Markdown
// and the report page cannot disagree.
import Foundation

/// Every run of a suite, each with the model's drive and the expert's under the same conditions.
public struct SuiteEvaluation: Sendable, Codable, Equatable {
  /// Version of this layout; readers refuse a newer one.
  public static let currentSchema = 1

  public var schema: Int
  /// The suite's name (standard, ci, ...), with any command-line overrides applied.
  public var suite: String
  /// The model file driven.
  public var model: String
  /// The options every Drive server ran with beyond the model and port (`--speed 30 --curve-accel 3`);
  /// nil in files from before they were recorded.
  public var driveArguments: [String]?
  public var runs: [SuiteRunResult]

  public init(suite: String, model: String, driveArguments: [String]? = nil, runs: [SuiteRunResult]) {
    schema = Self.currentSchema
    self.suite = suite
    self.model = model
    self.driveArguments = driveArguments
    self.runs = runs
  }

  enum CodingKeys: String, CodingKey {
    case schema, suite, model, runs
    case driveArguments = "drive_arguments"
  }

  /// True when every run met its goal.
  public var passed: Bool { runs.allSatisfy(\.passed) }

  /// Reads suite.json, refusing other schemas.
  public init(jsonData data: Data) throws {
    let decoded = try JSONDecoder().decode(SuiteEvaluation.self, from: data)
    guard decoded.schema == Self.currentSchema else {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: [],
          debugDescription: "suite.json schema \(decoded.schema); this reader knows \(Self.currentSchema)"))
    }
    self = decoded
  }

  /// Pretty-printed JSON with sorted keys.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// The table of suite.md and of the report page: header, then per run the model's row and the
  /// expert's (the upper bound) under it.
  public var table: [[String]] {
    var rows = [
      [
        "track", "driver", "speed (mph)", "seed", "latency", "conditions", "laps", "off-road events",
        "mean |CTE| (m)", "max |CTE| (m)", "offset: all / curves (m)", "mean mph", "expert mean |CTE| (m)",
        "goal", "result",
      ]
    ]
    func cte(_ x: Double) -> String { String(format: "%.3f", x) }
    func mph(_ x: Double) -> String { String(format: "%.1f", x) }
    // Signed: left of travel / toward the inside of curves; "-" in files from before they existed.
    func offset(_ e: DriveEvaluation) -> String {
      guard let lateral = e.meanLateralM else { return "-" }
      let curves = e.meanCurveInsideM.map { String(format: "%+.3f", $0) } ?? "-"
      return String(format: "%+.3f", lateral) + " / " + curves
    }
    for run in runs {
      let c = run.configuration
      let common = [
        String(format: "%g", c.speedMph), String(c.seed), c.latency ?? "none", c.conditions ? "on" : "off",
      ]
      rows.append(
        [c.track, "model"] + common + [
          "\(run.model.laps)/\(c.laps)", String(run.model.offroadEvents), cte(run.model.meanCteM),
          cte(run.model.maxCteM), offset(run.model), mph(run.model.meanSpeedMph),
          run.expert.map { cte($0.meanCteM) } ?? "-",
          run.goal,
          run.passed ? "pass" : "FAIL: " + run.reasons.joined(separator: "; "),
        ])
      if let e = run.expert {
        rows.append(
          [c.track, "expert"] + common + [
            "\(e.laps)/\(c.laps)", String(e.offroadEvents), cte(e.meanCteM), cte(e.maxCteM), offset(e),
            mph(e.meanSpeedMph), cte(e.meanCteM), "upper bound", "",
          ])
      }
    }
    return rows
  }

  /// suite.md: a title, the verdict and the table (GitHub-flavoured Markdown).
  public var markdown: String {
    let failed = runs.filter { !$0.passed }.count
    var md = "# Evaluation suite `\(suite)`\n\nModel `\(model)`"
    if let driveArguments, !driveArguments.isEmpty {
      md += ", Drive `\(driveArguments.joined(separator: " "))`"
    }
    md += ": "
    md +=
      failed == 0
      ? "all \(runs.count) runs met their goals.\n\n" : "\(failed) of \(runs.count) runs FAILED.\n\n"
    let table = self.table
    func line(_ cells: [String]) -> String {
      "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
    }
    md += line(table[0]) + line(table[0].map { _ in "---" })
    for row in table.dropFirst() { md += line(row) }
    md +=
      "\nOff-road events are interventions: the simulator puts the car back on the centre line and counts one. "
      + "The expert (pure pursuit on the true state) drives the same configuration: its row is the upper bound.\n"
    let gallery = runs.flatMap { run in run.failures.map { (run.configuration.id, $0) } }
    if !gallery.isEmpty {
      md +=
        "\n## Failure gallery\n\nThe centre camera's 2 s before each off-road event (oldest first, 0.25 s apart; red bar: the last frame before it).\n\n"
      for (id, f) in gallery {
        md += String(format: "- %@, lap %d, t = %.2f s: ![](%@)\n", id, f.lap, f.timeS, f.picture)
      }
    }
    return md
  }
}

/// One configuration of the matrix, as run.
public struct SuiteConfiguration: Sendable, Codable, Equatable {
  /// File-safe name, unique in the suite: `lake-30mph-seed1-lat150pm30-cond`.
  public var id: String
  public var track: String
  public var speedMph: Double
  public var seed: UInt64
  /// "150.0 +- 30.0 ms"; nil: lockstep, no latency.
  public var latency: String?
  public var latencyMs: Double?
  public var latencyJitterMs: Double?
  public var conditions: Bool
  public var laps: Int

  public init(
    id: String, track: String, speedMph: Double, seed: UInt64, latency: String?, latencyMs: Double?,
    latencyJitterMs: Double?, conditions: Bool, laps: Int
  ) {
    self.id = id
    self.track = track
    self.speedMph = speedMph
    self.seed = seed
    self.latency = latency
    self.latencyMs = latencyMs
    self.latencyJitterMs = latencyJitterMs
    self.conditions = conditions
    self.laps = laps
  }

  enum CodingKeys: String, CodingKey {
    case id, track, seed, latency, conditions, laps
    case speedMph = "speed_mph"
    case latencyMs = "latency_ms"
    case latencyJitterMs = "latency_jitter_ms"
  }
}

/// One run: the model's drive, the expert's, the goal and whether it was met.
public struct SuiteRunResult: Sendable, Codable, Equatable {
  public var configuration: SuiteConfiguration
  public var model: DriveEvaluation
  /// The expert under the same configuration; nil when the suite ran without it.
  public var expert: DriveEvaluation?
  /// The goal in words ("0 off-road, mean |CTE| <= expert + 0.03 m").
  public var goal: String
  public var passed: Bool
  /// Why not, one phrase per missed part of the goal.
  public var reasons: [String]
  /// Path pictures, relative to the report folder.
  public var picture: String
  public var expertPicture: String?
  /// The failure gallery of this run (the first off-road events).
  public var failures: [SuiteFailure]

  public init(
    configuration: SuiteConfiguration, model: DriveEvaluation, expert: DriveEvaluation?, goal: String,
    passed: Bool, reasons: [String], picture: String, expertPicture: String?, failures: [SuiteFailure]
  ) {
    self.configuration = configuration
    self.model = model
    self.expert = expert
    self.goal = goal
    self.passed = passed
    self.reasons = reasons
    self.picture = picture
    self.expertPicture = expertPicture
    self.failures = failures
  }

  enum CodingKeys: String, CodingKey {
    case configuration, model, expert, goal, passed, reasons, picture, failures
    case expertPicture = "expert_picture"
  }
}

/// One off-road event of the gallery.
public struct SuiteFailure: Sendable, Codable, Equatable {
  public var timeS: Double
  public var lap: Int
  /// Where the car was put back (metres).
  public var x: Double
  public var y: Double
  /// The contact sheet of the 2 s before it (PNG), relative to the report folder.
  public var picture: String

  public init(timeS: Double, lap: Int, x: Double, y: Double, picture: String) {
    self.timeS = timeS
    self.lap = lap
    self.x = x
    self.y = y
    self.picture = picture
  }

  enum CodingKeys: String, CodingKey {
    case lap, x, y, picture
    case timeS = "time_s"
  }
}
