// The evaluation suites of `Simulate evaluate`: a matrix of tracks x speeds x seeds x latencies x
// conditions, each cell one drive of the model and one of the expert, judged against the track's goal.
import DrivingData
import Foundation

/// A track of a suite, the speeds it is driven at and what counts as a pass there.
public struct SuiteTrack: Sendable, Equatable {
  /// A built-in track, a track JSON file, or `<name>` for `Tracks/<name>.json` (see `Track(suiteName:)`).
  public var name: String
  public var speedsMph: [Double]
  public var goal: SuiteGoal

  public init(_ name: String, speedsMph: [Double], goal: SuiteGoal) {
    self.name = name
    self.speedsMph = speedsMph
    self.goal = goal
  }
}

/// What a run must achieve (issue #16, section 2). Every run must also finish its laps.
public struct SuiteGoal: Sendable, Equatable {
  public var maxOffroadEvents = 0
  /// Mean |CTE| at most this (metres); nil: not checked.
  public var maxMeanCteM: Double? = nil
  /// Mean |CTE| at most the expert's (same configuration) plus this; nil: not checked.
  public var maxMeanCteOverExpertM: Double? = nil

  public init(maxOffroadEvents: Int = 0, maxMeanCteM: Double? = nil, maxMeanCteOverExpertM: Double? = nil) {
    self.maxOffroadEvents = maxOffroadEvents
    self.maxMeanCteM = maxMeanCteM
    self.maxMeanCteOverExpertM = maxMeanCteOverExpertM
  }

  public var description: String {
    var parts = ["all laps", "<= \(maxOffroadEvents) off-road"]
    if let m = maxMeanCteM { parts.append(String(format: "mean |CTE| <= %.2f m", m)) }
    if let d = maxMeanCteOverExpertM { parts.append(String(format: "mean |CTE| <= expert + %.2f m", d)) }
    return parts.joined(separator: ", ")
  }

  /// The parts of the goal `model` missed (empty: passed). Without the expert's drive the
  /// expert-relative part cannot be checked and is reported as missed.
  public func misses(model: DriveEvaluation, expert: DriveEvaluation?, laps: Int) -> [String] {
    var reasons: [String] = []
    if model.stalled { reasons.append("protocol stalled") }
    if model.laps < laps { reasons.append("\(model.laps) of \(laps) laps") }
    if model.offroadEvents > maxOffroadEvents { reasons.append("\(model.offroadEvents) off-road") }
    if let m = maxMeanCteM, !(model.meanCteM <= m) {
      reasons.append(String(format: "mean |CTE| %.3f > %.2f m", model.meanCteM, m))
    }
    if let d = maxMeanCteOverExpertM {
      if let expert {
        if !(model.meanCteM <= expert.meanCteM + d) {
          reasons.append(
            String(format: "mean |CTE| %.3f > expert %.3f + %.2f m", model.meanCteM, expert.meanCteM, d))
        }
      } else {
        reasons.append("no expert drive to compare with")
      }
    }
    return reasons
  }
}

/// The latency of a column of the matrix.
public enum SuiteLatency: Sendable, Equatable, CustomStringConvertible {
  /// Lockstep: each reply advances the simulation by 0.05 s.
  case none
  /// Simulated-time latency (`Simulate drive --latency-ms ms --latency-jitter-ms jitter`), frames at 20 Hz.
  case fixed(milliseconds: Double, jitter: Double)

  /// "none", "150" or "150+-30" (also "150pm30").
  public init?(argument: String) {
    let a = argument.trimmingCharacters(in: .whitespaces).lowercased()
    if a == "none" || a == "0" {
      self = .none
      return
    }
    let parts = a.replacingOccurrences(of: "pm", with: "+-").components(separatedBy: "+-")
    guard parts.count <= 2, let ms = Double(parts[0]), ms > 0, ms <= 5000 else { return nil }
    let jitter = parts.count == 2 ? Double(parts[1]) : 0
    guard let jitter, jitter >= 0, jitter <= ms else { return nil }
    self = .fixed(milliseconds: ms, jitter: jitter)
  }

  public var description: String {
    switch self {
    case .none: "none"
    case .fixed(let ms, let jitter): jitter > 0 ? "\(formatted(ms))+-\(formatted(jitter))" : formatted(ms)
    }
  }

  var latency: Latency? {
    switch self {
    case .none: nil
    case .fixed(let ms, let jitter): .fixed(milliseconds: ms, jitter: jitter)
    }
  }
}

private func formatted(_ x: Double) -> String { String(format: "%g", x) }

/// A named matrix of runs.
public struct EvaluationSuite: Sendable, Equatable {
  public var name: String
  public var tracks: [SuiteTrack]
  public var seeds: [UInt64]
  public var latencies: [SuiteLatency]
  public var conditions: [Bool]
  public var laps: Int
  /// A run that has not finished its laps after this many simulated seconds per lap ends.
  public var secondsPerLap = 150.0

  public init(
    name: String, tracks: [SuiteTrack], seeds: [UInt64], latencies: [SuiteLatency], conditions: [Bool],
    laps: Int
  ) {
    self.name = name
    self.tracks = tracks
    self.seeds = seeds
    self.latencies = latencies
    self.conditions = conditions
    self.laps = laps
  }

  /// The goals of issue #16 (section 2) per track. A new track is one more line here.
  public static let standardTracks = [
    SuiteTrack("lake", speedsMph: [30], goal: SuiteGoal(maxMeanCteOverExpertM: 0.03)),
    SuiteTrack("jungle", speedsMph: [30], goal: SuiteGoal(maxMeanCteM: 0.15)),
    // The expert's highest cruise speed there: 30 mph (about 10 mph through the hairpins).
    SuiteTrack("canyon", speedsMph: [30], goal: SuiteGoal()),
  ]

  /// Lake, jungle and canyon at 30 mph, seeds 1-3, 150 +- 30 ms latency, conditions on, 10 laps.
  public static let standard = EvaluationSuite(
    name: "standard", tracks: standardTracks, seeds: [1, 2, 3],
    latencies: [.fixed(milliseconds: 150, jitter: 30)], conditions: [true], laps: 10)

  /// `standard` plus the clean column: lockstep without conditions.
  public static let full = EvaluationSuite(
    name: "full", tracks: standardTracks, seeds: [1, 2, 3],
    latencies: [.none, .fixed(milliseconds: 150, jitter: 30)], conditions: [false, true], laps: 10)

  /// CI: one lap of lake, one seed, 150 +- 30 ms latency without conditions; the bar is 0 off-road.
  public static let ci = EvaluationSuite(
    name: "ci", tracks: [SuiteTrack("lake", speedsMph: [25], goal: SuiteGoal())], seeds: [1],
    latencies: [.fixed(milliseconds: 150, jitter: 30)], conditions: [false], laps: 1)

  public static let all = [standard, full, ci]

  public static func named(_ name: String) -> EvaluationSuite? { all.first { $0.name == name } }

  /// Every run, in a fixed order: tracks, speeds, latencies, conditions, seeds.
  public var runs: [SuiteRun] {
    var runs: [SuiteRun] = []
    for track in tracks {
      for speed in track.speedsMph {
        for latency in latencies {
          for conditions in self.conditions {
            for seed in seeds {
              runs.append(
                SuiteRun(
                  track: track.name, speedMph: speed, seed: seed, latency: latency, conditions: conditions,
                  laps: laps, goal: track.goal, timeLimit: secondsPerLap * Double(laps)))
            }
          }
        }
      }
    }
    return runs
  }
}

/// One cell of the matrix.
public struct SuiteRun: Sendable, Equatable {
  public var track: String
  public var speedMph: Double
  public var seed: UInt64
  public var latency: SuiteLatency
  public var conditions: Bool
  public var laps: Int
  public var goal: SuiteGoal
  public var timeLimit: Double

  public var configuration: SuiteConfiguration {
    let trackID = (track as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "")
    let latencyID: String
    var ms: Double?
    var jitter: Double?
    switch latency {
    case .none: latencyID = "lockstep"
    case .fixed(let m, let j):
      latencyID = "lat" + formatted(m) + (j > 0 ? "pm" + formatted(j) : "")
      (ms, jitter) = (m, j)
    }
    let id = "\(trackID)-\(formatted(speedMph))mph-seed\(seed)-\(latencyID)-\(conditions ? "cond" : "clean")"
    return SuiteConfiguration(
      id: id, track: trackID, speedMph: speedMph, seed: seed, latency: latency.latency.map { "\($0)" },
      latencyMs: ms, latencyJitterMs: jitter, conditions: conditions, laps: laps)
  }

  /// The drive's options: what `Simulate drive --laps L --latency-ms ms --latency-jitter-ms j
  /// [--conditions] --seed s` sets.
  public func driveOptions(failureFrames: Int = 0) -> DriveOptions {
    var options = DriveOptions()
    options.laps = laps
    options.timeLimit = timeLimit
    options.seed = seed
    options.latency = latency.latency
    options.conditions = conditions ? DriveConditions.standard(seed: seed) : nil
    options.failureFrames = failureFrames
    return options
  }

  /// The expert's drive of this run (no server, no images): the upper bound.
  public func driveExpert(track: Track, renderer: Renderer) throws -> (DriveEvaluation, DriveSession) {
    let session = DriveSession(track: track, renderer: renderer, options: driveOptions())
    let expert = ExpertController(expert: ExpertDriver(track: track, cruiseSpeedMph: speedMph))
    return (try session.run(expert, name: "expert"), session)
  }
}

extension Track {
  /// A suite's track name: built in, a `.json` file, or else `Tracks/<name>.json` under `directory`
  /// (the exported and contributed tracks of the repository).
  public convenience init(suiteName name: String, directory: String = "Tracks") throws {
    if name.hasSuffix(".json") || TrackLibrary.spec(named: name) != nil {
      try self.init(named: name)
      return
    }
    let file = (directory as NSString).appendingPathComponent(name + ".json")
    guard FileManager.default.fileExists(atPath: file) else { throw SimulatorError.unknownTrack(name) }
    try self.init(named: file)
  }
}
