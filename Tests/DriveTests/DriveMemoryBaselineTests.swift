import Foundation
import TestSupport
import Testing

/// Issue #13 §5: after a storm of good and hostile clients, the server gives back what it took.
/// Measured in a process of its own (`Bench drive`, the server and its clients), because this test
/// process's memory moves with every other test running beside it.
///
/// The baseline is the state after the first round: the first connections make one-time
/// allocations (the model's workspace, NIO's pools, runtime metadata) that stay. Later rounds must
/// end with the same descriptors and, from `malloc_info`, the same live heap within `heapSlackMB`
/// (measured: +0.02 MB a round, flattening; a leak of 64 bytes per hostile connection, 1,000 a
/// round, is +0.25 MB by round 5) in at most `arenaCap` arenas (glibc's default of 16 arenas on this
/// machine put RSS up 3-9 MB per storm with no leak, which is why Drive caps them).
///
/// RSS is only a coarse guard (`residentSlackMB`): besides the heap it holds glibc's cache of exited
/// threads' stacks and free pages, which move by megabytes with how threads interleaved (+4.7 MB
/// after a round on a loaded machine), so a tight RSS bound fails without any leak.
@Suite struct DriveMemoryBaselineTests {
  static var executable: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("BenchCommand").path
  }

  static let heapSlackMB = 0.25
  static let arenaCap = 2
  static let residentSlackMB = 16.0
  /// Dispatch's worker threads come and go; a thread kept per client (6 a round) passes this by round 3.
  static let threadSlack = 8

  struct Round: Equatable {
    var descriptors: Int
    var serverSockets: Int
    var sessions: Int
    var threads: Int
    var residentMB: Double
    var heapMB: Double
    var arenas: Int
  }

  /// `round k: answered a/b, after: D descriptors, S server sockets, N sessions, T threads,
  /// RSS X MB, heap H MB in use, A arenas`.
  static func parse(_ line: Substring) -> (answered: Bool, round: Round)? {
    guard line.hasPrefix("round ") else { return nil }
    let words = line.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
    /// The word before `name` (or after, for "answered" and "RSS"/"heap").
    func before(_ name: String) -> String? {
      words.firstIndex(of: name).flatMap { $0 > 0 ? words[$0 - 1] : nil }
    }
    func after(_ name: String) -> String? {
      words.firstIndex(of: name).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
    }
    let answered = (after("answered") ?? "").split(separator: "/")
    guard answered.count == 2, let d = before("descriptors").flatMap(Int.init),
      let s = before("server").flatMap(Int.init), let n = before("sessions").flatMap(Int.init),
      let t = before("threads").flatMap(Int.init), let x = after("RSS").flatMap(Double.init),
      let h = after("heap").flatMap(Double.init), let a = before("arenas").flatMap(Int.init)
    else { return nil }
    let round = Round(
      descriptors: d, serverSockets: s, sessions: n, threads: t, residentMB: x, heapMB: h, arenas: a)
    return (answered[0] == answered[1], round)
  }

  /// Not under a sanitizer: ASan's allocator keeps up to 256 MB of freed memory in quarantine and
  /// ignores `malloc_trim`, so its RSS measures the quarantine, not the server.
  @Test(
    .timeLimit(.minutes(5)),
    .disabled(if: Sanitizers.active, "RSS under a sanitizer's allocator measures its quarantine"))
  func descriptorsHeapAndArenasReturnToTheBaselineAfterEachStorm() throws {
    #expect(
      FileManager.default.isExecutableFile(atPath: Self.executable),
      "BenchCommand not built beside the tests at \(Self.executable)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = [
      "drive", "--clients", "6", "--frames", "30", "--warmup", "5", "--hostile", "--rounds", "5",
      "--timeouts", "1",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")

    let rounds = text.split(separator: "\n").compactMap(Self.parse)
    try #require(rounds.count == 5, "rounds 1-5 print a line each:\n\(text)")
    let baseline = rounds[0].round
    #expect(baseline.serverSockets == 1, "the listener only")
    for (k, (answered, round)) in rounds.enumerated() {
      #expect(answered, "round \(k + 1): every telemetry answered")
      #expect(round.descriptors == baseline.descriptors, "round \(k + 1): \(round) vs \(baseline)")
      #expect(round.serverSockets == 1 && round.sessions == 0, "round \(k + 1): \(round)")
      #expect(round.arenas <= Self.arenaCap, "round \(k + 1): \(round.arenas) malloc arenas")
      #expect(
        round.heapMB <= baseline.heapMB + Self.heapSlackMB,
        "round \(k + 1): heap \(round.heapMB) MB in use vs \(baseline.heapMB) MB after round 1")
      #expect(
        round.threads <= baseline.threads + Self.threadSlack,
        "round \(k + 1): \(round.threads) threads vs \(baseline.threads) after round 1")
      #expect(
        round.residentMB <= baseline.residentMB + Self.residentSlackMB,
        "round \(k + 1): RSS \(round.residentMB) MB vs \(baseline.residentMB) MB after round 1")
    }
    #expect(text.contains("descriptors (process): before \(baseline.descriptors),"))
    #expect(text.contains(", after \(baseline.descriptors)\n"), "descriptors back after the last round")
  }
}
