import ArgumentParser
import DrivingData
import Foundation
import Simulator
import TensorCore

/// `Simulate evaluate --model model.h5 [--suite standard]`: the driving benchmark (docs/evaluation.md).
struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract:
      "Drive a model through a suite of tracks x speeds x seeds x latencies x conditions against its own Drive servers, with the expert's row as the upper bound; write suite.json, suite.md and pictures."
  )

  @Option(help: "Keras model file to evaluate.")
  var model: String

  @Option(help: "Suite: \(EvaluationSuite.all.map(\.name).joined(separator: ", ")).")
  var suite = "standard"

  @Option(help: "Report folder: suite.json, suite.md and suite/ (pictures, Drive logs) go here.")
  var out = "report"

  @Option(help: "Drives at once, each against its own Drive server (default: 2, both cores).")
  var jobs = 2

  @Option(help: "Override the suite's tracks (comma-separated names or track JSON files).")
  var tracks: String?

  @Option(help: "Override the speeds (mph, comma-separated) of every track.")
  var speeds: String?

  @Option(
    help: """
      Drive servers slow for curves (Drive --curve-accel, m/s^2 of lateral acceleration), as the \
      expert does with 3. Off by default: drive.py's constant set speed.
      """)
  var curveAccel: Double?

  @Option(help: "Override the seeds (comma-separated).")
  var seeds: String?

  @Option(help: "Override the laps of every run.")
  var laps: Int?

  @Option(
    help: ArgumentHelp(
      "Override the latencies (comma-separated: none, 150, 150+-30).", valueName: "LIST"))
  var latencies: String?

  @Option(help: ArgumentHelp("Override the conditions (comma-separated: on, off).", valueName: "LIST"))
  var conditions: String?

  @Flag(help: "Leave out the expert's drives (and with them the goals relative to the expert).")
  var noExpert = false

  @Option(help: "Off-road events per run whose 2 s of frames go into the failure gallery.")
  var gallery = 5

  @Option(help: "The Drive executable (default: DriveCommand or Drive beside this executable).")
  var drive: String?

  @Option(help: "Folder of contributed tracks (<name>.json) for names that are not built in.")
  var trackDirectory = "Tracks"

  func validate() throws {
    guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be in 1...64") }
    guard laps.map({ $0 >= 1 }) ?? true else { throw ValidationError("--laps must be at least 1") }
    guard gallery >= 0 else { throw ValidationError("--gallery must be >= 0") }
    if let curveAccel, !(curveAccel.isFinite && curveAccel > 0) {
      throw ValidationError("--curve-accel: a lateral acceleration in m/s^2, above 0")
    }
    guard FileManager.default.isReadableFile(atPath: model) else {
      throw ValidationError("cannot read the model file \(model)")
    }
  }

  /// What every Drive server gets beyond the model, port and speed.
  var driveArguments: [String] { curveAccel.map { ["--curve-accel", String($0)] } ?? [] }

  /// The named suite with the command line's overrides.
  func resolvedSuite() throws -> EvaluationSuite {
    guard var s = EvaluationSuite.named(suite) else {
      throw ValidationError(
        "unknown suite '\(suite)' (\(EvaluationSuite.all.map(\.name).joined(separator: ", ")))")
    }
    func list(_ text: String) -> [String] {
      text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    var overridden: [String] = []
    if let tracks {
      s.tracks = list(tracks).map { name in
        // A named track keeps its goal; another one gets the bare bar (all laps, 0 off-road).
        let known =
          s.tracks.first { $0.name == name } ?? EvaluationSuite.standardTracks.first { $0.name == name }
        return SuiteTrack(name, speedsMph: known?.speedsMph ?? [30], goal: known?.goal ?? SuiteGoal())
      }
      overridden.append("tracks")
    }
    if let speeds {
      let values = list(speeds).compactMap(Double.init)
      guard !values.isEmpty, values.count == list(speeds).count, values.allSatisfy({ $0 > 0 && $0 <= 60 })
      else {
        throw ValidationError("--speeds: mph values in (0, 60], comma-separated")
      }
      for i in s.tracks.indices { s.tracks[i].speedsMph = values }
      overridden.append("speeds")
    }
    if let seeds {
      let values = list(seeds).compactMap { UInt64($0) }
      guard !values.isEmpty, values.count == list(seeds).count else {
        throw ValidationError("--seeds: unsigned integers, comma-separated")
      }
      s.seeds = values
      overridden.append("seeds")
    }
    if let laps {
      s.laps = laps
      overridden.append("laps")
    }
    if let latencies {
      let values = list(latencies).compactMap(SuiteLatency.init(argument:))
      guard !values.isEmpty, values.count == list(latencies).count else {
        throw ValidationError("--latencies: none, N or N+-J (ms), comma-separated")
      }
      s.latencies = values
      overridden.append("latencies")
    }
    if let conditions {
      let values = try list(conditions).map { word -> Bool in
        switch word.lowercased() {
        case "on": return true
        case "off": return false
        default: throw ValidationError("--conditions: on or off, comma-separated")
        }
      }
      guard !values.isEmpty else { throw ValidationError("--conditions: on or off, comma-separated") }
      s.conditions = values
      overridden.append("conditions")
    }
    if !overridden.isEmpty { s.name += " (" + overridden.joined(separator: ", ") + " overridden)" }
    return s
  }

  func run() throws {
    let suite = try resolvedSuite()
    let runs = suite.runs
    let executable = try driveExecutable()
    // Every track is checked before any drive starts.
    var worlds: [String: (Track, Renderer)] = [:]
    for name in Set(runs.map(\.track)) {
      let track = try Track(suiteName: name, directory: trackDirectory)
      worlds[name] = (track, Renderer(track: track))
    }
    let pictures = (out as NSString).appendingPathComponent("suite")
    try? FileManager.default.removeItem(atPath: pictures)
    try FileManager.default.createDirectory(atPath: pictures, withIntermediateDirectories: true)
    let workers = min(jobs, runs.count)
    report(
      "evaluate: suite \(suite.name), \(runs.count) runs of \(suite.laps) lap(s) (model\(noExpert ? "" : " + expert")), "
        + "\(workers) worker(s), Drive: \(executable)")

    let started = Date()
    let results = Locked([SuiteRunResult?](repeating: nil, count: runs.count))
    let next = Locked(0)
    let done = Locked(0)
    let firstError = Locked<(any Error)?>(nil)
    let group = DispatchGroup()
    let worlds_ = worlds
    for worker in 0..<workers {
      group.enter()
      let thread = Thread { [self] in
        defer { group.leave() }
        var server: DriveServerProcess?
        defer { server?.stop() }
        while firstError.withLock({ $0 == nil }) {
          let index = next.withLock { i -> Int in
            defer { i += 1 }
            return i
          }
          guard index < runs.count else { return }
          let run = runs[index]
          do {
            guard let (track, renderer) = worlds_[run.track] else { throw ValidationErrorText("no track") }
            if server?.speedMph != run.speedMph {
              server?.stop()
              server = try DriveServerProcess(
                executable: executable, model: model, speedMph: run.speedMph, arguments: driveArguments,
                log: (pictures as NSString).appendingPathComponent("drive-worker\(worker + 1).log"))
            }
            let result = try self.evaluate(
              run, track: track, renderer: renderer, port: server?.port ?? 0, pictures: pictures)
            results.withLock { $0[index] = result }
            let finished = done.withLock { n -> Int in
              n += 1
              return n
            }
            let elapsed = Date().timeIntervalSince(started)
            let eta = elapsed / Double(finished) * Double(runs.count - finished)
            let m = result.model
            report(
              String(
                format:
                  "[%d/%d] %@: %d/%d laps, %d off-road, CTE mean %.3f max %.3f m%@, %@  (%.0f s, ETA %.0f s)",
                finished, runs.count, result.configuration.id, m.laps, run.laps, m.offroadEvents, m.meanCteM,
                m.maxCteM, result.expert.map { String(format: "; expert %.3f m", $0.meanCteM) } ?? "",
                result.passed ? "pass" : "FAIL (" + result.reasons.joined(separator: "; ") + ")", elapsed, eta
              ))
          } catch {
            firstError.withLock { if $0 == nil { $0 = error } }
            return
          }
        }
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    group.wait()
    if let error = firstError.withLock({ $0 }) { throw error }
    let evaluation = SuiteEvaluation(
      suite: suite.name, model: model, driveArguments: driveArguments,
      runs: results.withLock { $0.compactMap { $0 } })
    let json = (out as NSString).appendingPathComponent("suite.json")
    let markdown = (out as NSString).appendingPathComponent("suite.md")
    try evaluation.jsonData().write(to: URL(fileURLWithPath: json))
    try evaluation.markdown.write(toFile: markdown, atomically: true, encoding: .utf8)
    report(evaluation.markdown)
    report("wrote \(json), \(markdown) and \(pictures)/ in \(Int(Date().timeIntervalSince(started))) s")
    if !evaluation.passed { throw ExitCode(3) }
  }

  /// One run: the model against the worker's Drive server, then the expert; pictures and gallery.
  func evaluate(_ run: SuiteRun, track: Track, renderer: Renderer, port: Int, pictures: String) throws
    -> SuiteRunResult
  {
    let id = run.configuration.id
    func file(_ name: String) -> String { (pictures as NSString).appendingPathComponent(name) }
    let session = DriveSession(
      track: track, renderer: renderer, options: run.driveOptions(failureFrames: gallery))
    let controller = try RemoteController(host: "127.0.0.1", port: port)
    // Named "model", not by port, so a run's JSON does not depend on which worker drove it.
    let model = try session.run(controller, name: "model")
    try session.writePicture(to: file("\(id).png"))
    var failures: [SuiteFailure] = []
    for (k, failure) in session.failures.enumerated() {
      let name = "\(id)-offroad\(k + 1).png"
      do { try PNGCodec().write(failure.contactSheet(), to: file(name)) } catch {
        throw ValidationErrorText("cannot write \(file(name)): \(error)")
      }
      failures.append(
        SuiteFailure(
          timeS: failure.time, lap: failure.lap, x: failure.position.x, y: failure.position.y,
          picture: "suite/" + name))
    }
    var expert: DriveEvaluation?
    var expertPicture: String?
    if !noExpert {
      let (result, expertSession) = try run.driveExpert(track: track, renderer: renderer)
      try expertSession.writePicture(to: file("\(id)-expert.png"))
      expert = result
      expertPicture = "suite/\(id)-expert.png"
    }
    let reasons = run.goal.misses(model: model, expert: expert, laps: run.laps)
    return SuiteRunResult(
      configuration: run.configuration, model: model, expert: expert, goal: run.goal.description,
      passed: reasons.isEmpty, reasons: reasons, picture: "suite/\(id).png", expertPicture: expertPicture,
      failures: failures)
  }

  /// `--drive`, or DriveCommand (the build's name) or Drive (`bin/`'s) beside this executable.
  func driveExecutable() throws -> String {
    if let drive {
      guard FileManager.default.isExecutableFile(atPath: drive) else {
        throw ValidationError("--drive \(drive) is not an executable")
      }
      return drive
    }
    var folders: [URL] = []
    let invoked = URL(fileURLWithPath: CommandLine.arguments[0])
    folders.append(invoked.deletingLastPathComponent())
    folders.append(invoked.resolvingSymlinksInPath().deletingLastPathComponent())
    folders.append(
      URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
    for folder in folders {
      for name in ["DriveCommand", "Drive"] {
        let path = folder.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
      }
    }
    throw ValidationError("no Drive executable beside \(invoked.path): build it (make build) or pass --drive")
  }
}

/// Unbuffered stdout: progress lines appear as they happen, also through a pipe (`| tee log`).
private func report(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
