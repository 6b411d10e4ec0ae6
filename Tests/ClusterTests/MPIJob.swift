// Runs `mpirun -np N TrainNvidiaCommand ...` (or the command alone) for the tests, collects its
// output line by line and lets a test wait for a line (an event, not a sleep) or find a rank's pid.
import Foundation
import TestSupport

/// One launched job: mpirun and its ranks, or a single process.
final class MPIJob: @unchecked Sendable {
  /// mpirun on PATH, nil when Open MPI is not installed.
  static let mpirun: String? = onPath("mpirun")

  /// Executables sit beside the test bundle in the build folder (`swift build --build-tests`).
  static func executable(_ name: String) -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
      .path
  }

  /// Open MPI refuses to start as root (CI runs as root) unless both variables are set; the
  /// single-copy mechanism needs ptrace rights that containers often lack, so shared memory copies
  /// through a buffer instead.
  static let environment: [String: String] = {
    var env = ProcessInfo.processInfo.environment.filter {
      !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
    }
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
    return env
  }()

  let process = Process()
  private let lock = NSCondition()
  private var lines: [String] = []
  private var openStreams = 2
  private var pending = [Data(), Data()]  // the unfinished last line of stdout, stderr

  /// `ranks` nil: the command alone, as a user without mpirun runs it.
  init(ranks: Int?, arguments: [String]) throws {
    let command = Self.executable("TrainNvidiaCommand")
    if let ranks {
      process.executableURL = URL(fileURLWithPath: Self.mpirun ?? "/usr/bin/mpirun")
      process.arguments = ["-np", String(ranks), "--oversubscribe", "--bind-to", "none", command] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: command)
      process.arguments = arguments
    }
    var environment = Self.environment
    if ranks != nil, let options = environment["ASAN_OPTIONS"] {
      // Under make test-sanitizers: Open MPI leaks from components it unloads at MPI_Finalize, so
      // LeakSanitizer cannot name (or suppress) them; the ranks keep every other ASan check, and
      // the single-process runs of the same tests keep the leak check on our code.
      environment["ASAN_OPTIONS"] = options + " detect_leaks=0"
    }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // One plain thread per stream doing blocking reads: output keeps flowing even when every
    // Dispatch and Swift-concurrency worker is blocked in a test (FileHandle's
    // readabilityHandler runs on Dispatch, and a starved pool would look like a silent job).
    for (stream, pipe) in [out, err].enumerated() {
      let handle = pipe.fileHandleForReading
      let reader = Thread { [weak self] in
        while true {
          let data = handle.availableData
          guard let self, self.append(data, stream: stream) else { break }
        }
      }
      reader.name = "MPIJob reader \(stream)"
      reader.start()
    }
  }

  /// Splits `data` into lines (an empty `data` is the end of the stream); false at the end.
  private func append(_ data: Data, stream: Int) -> Bool {
    lock.lock()
    defer {
      lock.broadcast()
      lock.unlock()
    }
    if data.isEmpty {
      if !pending[stream].isEmpty { lines.append(String(decoding: pending[stream], as: UTF8.self)) }
      pending[stream] = Data()
      openStreams -= 1
      return false
    }
    pending[stream].append(data)
    // Progress lines end in "\r"; either ends a line here.
    while let end = pending[stream].firstIndex(where: { $0 == 10 || $0 == 13 }) {
      let line = pending[stream][pending[stream].startIndex..<end]
      lines.append(String(decoding: line, as: UTF8.self))
      pending[stream].removeSubrange(pending[stream].startIndex...end)
    }
    return true
  }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }

  var output: [String] { lock.withLock { lines } }
  var text: String { output.joined(separator: "\n") }

  /// Waits (event-based; `timeout` only as a safety net) until a line contains `needle`.
  func waitForLine(containing needle: String, timeout: Double = 300) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    lock.lock()
    defer { lock.unlock() }
    while !lines.contains(where: { $0.contains(needle) }) {
      if openStreams == 0 || !lock.wait(until: deadline) { return lines.contains { $0.contains(needle) } }
    }
    return true
  }

  /// Waits for the job to end and for all its output; nil if it outlived `timeout`, and then the
  /// output ends with what the job's processes were doing (`diagnosis()`).
  func finish(timeout: Double = 300) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    lock.lock()
    while openStreams > 0 {
      if !lock.wait(until: deadline) {
        lock.unlock()
        return timedOut(after: timeout)
      }
    }
    lock.unlock()
    while process.isRunning {
      if Date() > deadline { return timedOut(after: timeout) }
      usleep(10_000)
    }
    return process.terminationStatus
  }

  private func timedOut(after timeout: Double) -> Int32? {
    let report = "MPIJob: no end after \(timeout) s\n" + diagnosis()
    lock.withLock { lines.append(contentsOf: report.split(separator: "\n").map(String.init)) }
    return nil
  }

  /// The launched process and its children: state, wait channel of every thread and, with gdb on
  /// PATH, their stacks. Tells a hung job from one that ended unseen.
  func diagnosis() -> String {
    let pids = [process.processIdentifier] + children()
    var report = ""
    for pid in pids {
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "gone"
      report += "pid \(pid): \(stat.prefix(120))\n"
      let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
      for task in tasks.sorted() {
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? "?"
        report += "  thread \(task) \(comm.trimmingCharacters(in: .newlines)): \(wchan)\n"
      }
      if Self.isAlive(pid), let gdb = Self.onPath("gdb"), let timeout = Self.onPath("timeout") {
        let trace = Process()
        trace.executableURL = URL(fileURLWithPath: timeout)
        trace.arguments = ["30", gdb, "-batch", "-p", "\(pid)", "-ex", "thread apply all bt 12"]
        let out = Pipe()
        trace.standardOutput = out
        trace.standardError = FileHandle.nullDevice
        if (try? trace.run()) != nil {
          report += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
          trace.waitUntilExit()
        }
      }
    }
    return report
  }

  static func onPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }

  /// The pid of `rank`: mpirun's child whose environment says OMPI_COMM_WORLD_RANK=rank.
  func pid(ofRank rank: Int) -> pid_t? {
    children().first { pid in
      guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
      let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      return variables.contains("OMPI_COMM_WORLD_RANK=\(rank)")
    }
  }

  /// The launched process's children (mpirun's ranks), from each process's parent in /proc.
  func children() -> [pid_t] {
    let parent = process.processIdentifier
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
      guard let pid = pid_t(entry),
        let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.count > 2 && pid_t(fields[1]) == parent ? pid : nil
    }
  }

  /// Whether `pid` still runs (a zombie waiting for a parent that is gone does not).
  static func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first
    return state != "Z" && state != "X"
  }

  /// The value after `prefix` on the first line holding it.
  func value(after prefix: String) -> String? {
    for line in output {
      if let range = line.range(of: prefix) {
        return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
      }
    }
    return nil
  }
}
