import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Report

/// The DAgger section reads dagger.json as TrainNvidia writes it and shows every round.
@Suite struct DAggerSectionTests {
  static let history = DAggerHistory(
    track: "lake", speedMph: 30, latency: "150.0 +- 30.0 ms", conditions: "lighting, shadows",
    rounds: [
      DAggerRound(
        round: 1, recorded: true, rows: 580, recoveryRows: 41, laps: 0.5, interventions: 3, offroadEvents: 0,
        meanCteM: 0.31, maxCteM: 2.6, recording: "m.dagger/round-1", validationLoss: 0.012),
      DAggerRound(
        round: 2, recorded: true, rows: 575, recoveryRows: 0, laps: 0.5, interventions: 0, offroadEvents: 0,
        meanCteM: 0.18, maxCteM: 1.1, recording: "m.dagger/round-2", validationLoss: 0.010),
      DAggerRound(
        round: 3, recorded: false, rows: 575, recoveryRows: 0, laps: 0.5, interventions: 0, offroadEvents: 0,
        meanCteM: 0.12, maxCteM: 0.7, recording: nil, validationLoss: 0.009),
    ])

  @Test func sectionShowsEveryRoundAndTheBudget() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-dagger-report")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = ReportFolder(path: dir)
    #expect(try folder.daggerSection() == nil)
    try Self.history.jsonData().write(to: URL(fileURLWithPath: dir + "/dagger.json"))
    #expect(try DAggerHistory(contentsOf: dir + "/dagger.json") == Self.history)
    let section = try #require(try folder.daggerSection())
    let table = try #require(
      section.blocks.compactMap { block -> [[String]]? in
        if case .table(let rows) = block { return rows }
        return nil
      }.first)
    #expect(table.count == 4)
    #expect(table[1][2] == "3" && table[1][6] == "580" && table[1][8] == "0.50")
    #expect(table[3][1] == "final model (check)" && table[3][6] == "-")
    let html = ReportPage(title: "t", sections: [section]).render()
    #expect(html.contains("1.00 laps of rows were added"))
    #expect(html.contains("<svg"))
  }

  @Test func aDamagedHistoryIsAnErrorNamingTheFile() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-dagger-report")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "{\"track\": 3}".write(toFile: dir + "/dagger.json", atomically: true, encoding: .utf8)
    #expect {
      try ReportFolder(path: dir).daggerSection()
    } throws: { "\($0)".contains("dagger.json") }
  }
}
