// `Report`: assembles report/index.html from what `make demo` left in the report folder:
// dataset facts and pictures (TrainNvidia --report-dir), training history, model summary and
// feature maps, and the drive evaluation, path picture and video (Simulate drive, Video).
import ArgumentParser
import DrivingData
import Foundation
import Report

@main
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "Report", abstract: "Write index.html for a report folder (dataset, training, model, drive)."
  )

  @Argument(
    help: "Report folder (written by TrainNvidia --report-dir, Simulate drive --report/--picture, Video).")
  var folder = "report"

  @Option(help: "Page title.")
  var title = "BehavioralCloning: from recordings to a car that drives itself"

  @Flag(
    help:
      "Print the drive evaluation(s) and check the acceptance bar (exit 3 when not met) instead of writing the page."
  )
  var evaluate = false

  @Option(help: "Acceptance: least mean speed (mph) on lake.")
  var minSpeed = 20.0

  @Option(help: "Acceptance: laps on lake without an off-road event.")
  var minLaps = 1

  @Option(help: "Acceptance: laps on jungle (never trained on) without an off-road event; 0: not checked.")
  var jungleLaps = 0

  @Option(
    help: ArgumentHelp(
      "Add VisualBackProp saliency pictures made with this model (needs --frames).", valueName: "model.h5"))
  var saliencyModel: String?

  @Option(
    help: ArgumentHelp(
      "The drive's saved frames (Drive's image folder or Simulate drive --frames) for the saliency pictures.",
      valueName: "dir"))
  var frames: String?

  @Option(help: "Evenly spread sample frames to show saliency for.")
  var saliencySamples = 4

  func validate() throws {
    guard (saliencyModel == nil) == (frames == nil) else {
      throw ValidationError("--saliency-model and --frames go together")
    }
  }

  func run() throws {
    if evaluate {
      let lake = try DriveEvaluation(contentsOf: folder + "/drive.json")
      print(lake.line)
      let jungle = try? DriveEvaluation(contentsOf: folder + "/jungle.json")
      if let jungle { print(jungle.line + "  (trained on lake only)") }
      var ok = lake.meets(laps: minLaps, minSpeed: minSpeed)
      var bar = "lake >= \(minLaps) laps, 0 off-road events, >= \(minSpeed) mph"
      if jungleLaps > 0 {
        ok = ok && (jungle?.meets(laps: jungleLaps, minSpeed: 0) ?? false)
        bar += "; jungle >= \(jungleLaps) laps, 0 off-road events"
      }
      print("acceptance (\(bar)): \(ok ? "MET" : "NOT MET")")
      if !ok { throw ExitCode(3) }
      return
    }
    let reader = ReportFolder(path: folder)
    if let saliencyModel, let frames {
      try SaliencyFigures.write(
        model: saliencyModel, frames: frames, samples: saliencySamples, folder: folder)
    }
    var sections = [
      try reader.datasetSection(), try reader.trainingSection(), try reader.modelSection(),
      try reader.driveSection(), try reader.saliencySection(),
    ]
    if let dagger = try reader.daggerSection() { sections.append(dagger) }
    // Simulate evaluate --out <folder>: the suite's table and failure gallery.
    if reader.exists("suite.json") { sections.append(try reader.suiteSection()) }
    let page = ReportPage(
      title: title, subtitle: "Generated \(ISO8601DateFormatter().string(from: Date())) from \(folder)/",
      sections: sections)
    let missing = page.imageSources.filter { !reader.exists($0) }
    guard missing.isEmpty else { throw ValidationError("pictures missing from \(folder): \(missing)") }
    try page.render().write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
    print("wrote \(folder)/index.html (\(page.imageSources.count) pictures)")
  }
}
