// `Report`: assembles report/index.html from what `make demo` left in the report folder:
// dataset facts and pictures (TrainNvidia --report-dir), training history, model summary and
// feature maps, and the drive evaluation, path picture and video (Simulate drive, Video).
import ArgumentParser
import Foundation
import Report

@main
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "Report", abstract: "Write index.html for a report folder (dataset, training, model, drive).")

  @Argument(help: "Report folder (written by TrainNvidia --report-dir, Simulate drive --report/--picture, Video).")
  var folder = "report"

  @Option(help: "Page title.")
  var title = "BehavioralCloning: from recordings to a car that drives itself"

  func run() throws {
    let reader = ReportFolder(path: folder)
    let page = ReportPage(
      title: title, subtitle: "Generated \(ISO8601DateFormatter().string(from: Date())) from \(folder)/",
      sections: [try reader.datasetSection(), try reader.trainingSection(), try reader.modelSection(), try reader.driveSection()])
    let missing = page.imageSources.filter { !reader.exists($0) }
    guard missing.isEmpty else { throw ValidationError("pictures missing from \(folder): \(missing)") }
    try page.render().write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
    print("wrote \(folder)/index.html (\(page.imageSources.count) pictures)")
  }
}
