// The report's DAgger section: one row per round (what the model trained so far did when it drove,
// and what the round added) and a chart of the distance from the centre line against the round.
import DrivingData
import Foundation

public enum DAggerSection {
  /// Mean and max |CTE| and interventions against the round.
  public static func chart(_ history: DAggerHistory) -> LineChart {
    let rounds = history.rounds
    return LineChart(
      title: "DAgger on \(history.track): the model of each round driving",
      xLabel: "round (the model after round - 1 trainings drives)", yLabel: "|CTE| (m)",
      series: [
        ChartSeries(
          label: "mean |CTE|", points: rounds.map { (Double($0.round), $0.meanCteM) }, color: "#1f77b4"),
        ChartSeries(
          label: "max |CTE|", points: rounds.map { (Double($0.round), $0.maxCteM) }, color: "#d62728"),
      ])
  }

  /// The table: first row is the header.
  public static func table(_ history: DAggerHistory) -> [[String]] {
    [
      [
        "round", "drove", "interventions", "off-road events", "mean |CTE| (m)", "max |CTE| (m)", "rows added",
        "of which expert driving", "laps added", "val loss of the model",
      ]
    ]
      + history.rounds.map { r in
        [
          String(r.round), r.recorded ? "round \(r.round) data" : "final model (check)",
          String(r.interventions),
          String(r.offroadEvents), String(format: "%.3f", r.meanCteM), String(format: "%.3f", r.maxCteM),
          r.recorded ? String(r.rows) : "-", r.recorded ? String(r.recoveryRows) : "-",
          r.recorded ? String(format: "%.2f", r.laps) : "-",
          r.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
        ]
      }
  }
}

extension ReportFolder {
  /// The DAgger section when dagger.json is present; nil otherwise.
  public func daggerSection() throws -> ReportSection? {
    guard exists("dagger.json") else { return nil }
    let history = try DAggerHistory(contentsOf: path + "/dagger.json")
    var s = ReportSection(title: "DAgger")
    s.blocks.append(
      .paragraph(
        "Each round the model trained so far drove \(history.track) at \(Int(history.speedMph)) mph"
          + (history.latency.map { " with \($0) of latency" } ?? "")
          + (history.conditions.map { " under \($0)" } ?? "")
          + ". The expert labelled every frame the model was shown and took the wheel only to prevent an off-road event;"
          + " the labelled frames joined the data and training continued."
          + String(format: " In all, %.2f laps of rows were added.", history.addedLaps)))
    s.blocks.append(.table(DAggerSection.table(history)))
    s.blocks.append(
      .svg(DAggerSection.chart(history).svg(), caption: "Distance from the centre line per round"))
    return s
  }
}
