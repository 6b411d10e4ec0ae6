import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Simulator

/// `TrainNvidia --dagger K` end to end: train, let the model drive while the expert labels, add
/// the rows, train again; dagger.json, the recordings and the report agree.
@Suite struct DAggerTrainingTests {
  @Test func trainNvidiaRunsDAggerRounds() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dagger-train-\(UUID().uuidString)"
    )
    .path
    defer { try? FileManager.default.removeItem(atPath: base) }
    let track = try Track(named: "lake")
    var options = RecordingOptions()
    options.maxRows = 150
    options.startTime = 1_700_000_000
    let writer = try RecordingWriter(directory: base + "/data")
    _ = try Recorder(track: track, renderer: Renderer(track: track), options: options).record(to: writer)
    writer.close()

    try FileManager.default.createDirectory(atPath: base + "/report", withIntermediateDirectories: true)
    let result = try BuiltExecutable.run(
      "TrainNvidiaCommand",
      [
        "--data", base + "/data", "--store", base + "/samples.h5", "--output", base + "/model.h5",
        "--epochs", "1", "--threads", "2", "--no-isolation", "--report-dir", base + "/report",
        "--dagger", "1", "--dagger-laps", "0.1", "--dagger-epochs", "1",
      ])
    let stdout = result.stdout
    try #require(result.status == 0, "TrainNvidia --dagger failed:\n\(stdout.suffix(3000))")

    let history = try DAggerHistory(contentsOf: base + "/report/dagger.json")
    #expect(history.rounds.map(\.round) == [1, 2])
    #expect(history.rounds.map(\.recorded) == [true, false])
    #expect(history.latency == "150.0 +- 30.0 ms")
    // Rounds draw their own conditions: the history names the rule, not one round's seed.
    let conditions = history.conditions ?? "nil"
    #expect(conditions.hasSuffix(", seed 1 x 1000 + round"), "\(conditions)")
    let round = history.rounds[0]
    // A tenth of a lap, stopped at the first frame past it.
    #expect(round.laps >= 0.1 && round.laps < 0.11, "\(round.laps) laps")
    #expect(round.offroadEvents == 0)
    let (recordings, _) = try RecordingReader.read([base + "/model.h5.dagger/round-1"])
    #expect(try #require(recordings.first).rows.count == round.rows)
    #expect(FileManager.default.fileExists(atPath: base + "/report/dagger.svg"))
    // The second training saw the first data plus the round's rows.
    let counts = stdout.split(separator: "\n").compactMap { line -> Int? in
      guard line.hasPrefix("train on ") else { return nil }
      return Int(line.dropFirst("train on ".count).prefix { $0.isNumber })
    }
    #expect(counts.count == 2 && counts[1] > counts[0], "training sample counts \(counts)")
    #expect(round.validationLoss != nil && history.rounds[1].validationLoss != nil)
  }
}
