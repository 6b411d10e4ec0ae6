import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Report

/// A report folder as `make demo` leaves it, with small real pictures.
func makeReportFolder(complete: Bool = true) throws -> String {
  let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-report")
  let fm = FileManager.default
  func write(_ name: String, _ text: String) throws {
    try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
  }
  let png = PNGCodec()
  func picture(_ name: String, width: Int, height: Int, shade: UInt8) throws {
    try png.write(
      RGBImage(width: width, height: height, fill: (shade, 128, 255 - shade)), to: dir + "/" + name)
  }
  try write(
    "dataset.json",
    """
    {"store": "demo/samples.h5", "image_shape": [128, 128, 3], "recordings": 2, "rows_read": 2448, "rows_skipped": 0,
     "train_rows": 1958, "validation_rows": 490, "dropped_near_zero": 0, "samples_train": 11748, "samples_validation": 2940}
    """)
  try write(
    "histograms.svg",
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"50\"><rect width=\"10\" height=\"40\"/></svg>"
  )
  try fm.createDirectory(atPath: dir + "/samples", withIntermediateDirectories: true)
  try picture("samples/left-0.png", width: 32, height: 32, shade: 10)
  try picture("samples/center-0.png", width: 32, height: 32, shade: 90)
  try write(
    "samples.json",
    #"[{"file": "samples/left-0.png", "caption": "left camera, as recorded, steering +0.100"}, {"file": "samples/center-0.png", "caption": "center"}]"#
  )
  try picture("crop.png", width: 64, height: 64, shade: 30)
  guard complete else { return dir }
  try write(
    "history.json",
    """
    {"bestEpoch": 2, "bestLoss": 0.0002, "records": [
      {"epoch": 1, "loss": 0.03, "valLoss": 0.0004, "learningRate": 0.001, "seconds": 80, "imagesPerSecond": 75, "event": "best"},
      {"epoch": 2, "loss": 0.002, "valLoss": 0.0002, "learningRate": 0.001, "seconds": 78, "imagesPerSecond": 76, "event": "best"}]}
    """)
  try write(
    "summary.json",
    #"[["Layer", "Type", "Output shape", "Parameters"], ["conv2d_1", "Conv2D", "(35, 62, 24)", "1824"]]"#)
  try picture("featuremaps-input.png", width: 128, height: 128, shade: 50)
  try picture("featuremaps-conv2d_1.png", width: 100, height: 40, shade: 70)
  try write(
    "featuremaps.json", #"[{"file": "featuremaps-conv2d_1.png", "caption": "conv2d_1: 24 maps of 62x35"}]"#)
  try write(
    "drive.json",
    """
    {"track": "lake", "controller": "remote", "laps": 1, "offroad_events": 0, "autonomy": 1, "mean_cte_m": 0.3,
     "max_cte_m": 1.1, "mean_speed_mph": 24.6, "lap_times_s": [81.2], "elapsed_s": 81.2, "frames": 1624, "stalled": false}
    """)
  try picture("drive.png", width: 200, height: 150, shade: 200)
  return dir
}

@Suite struct ReportFolderTests {
  @Test func completeFolderGivesEverySectionWithoutNotes() throws {
    let dir = try makeReportFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = ReportFolder(path: dir)
    let sections = [
      try folder.datasetSection(), try folder.trainingSection(), try folder.modelSection(),
      try folder.driveSection(),
    ]
    let page = ReportPage(title: "t", sections: sections)
    let html = page.render()
    #expect(!html.contains("class=\"note\""))
    #expect(html.contains("<td>training samples (images)</td><td>11,748</td>"))
    #expect(html.contains("<td>lake</td><td>remote</td><td>1</td><td>0</td><td>100.0%</td><td>24.6</td>"))
    #expect(html.contains("polyline"))  // the loss chart
    #expect(page.imageSources.allSatisfy { folder.exists($0) })
    #expect(page.imageSources.count == 6)
  }

  @Test func missingStepsBecomeNotesNotFakes() throws {
    let dir = try makeReportFolder(complete: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = ReportFolder(path: dir)
    let training = try folder.trainingSection()
    let drive = try folder.driveSection()
    #expect(training.blocks == [.note("No history.json: training did not finish.")])
    #expect(drive.blocks == [.note("No drive.json: the closed-loop drive did not run.")])
  }

  @Test func brokenJSONIsAClearError() throws {
    let dir = try makeReportFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "{not json".write(toFile: dir + "/history.json", atomically: true, encoding: .utf8)
    #expect(throws: ReportError.self) { _ = try ReportFolder(path: dir).trainingSection() }
  }

  @Test func driveEvaluationAndAcceptance() throws {
    let dir = try makeReportFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var e = try DriveEvaluation(contentsOf: dir + "/drive.json")
    #expect(e.laps == 1 && e.offroadEvents == 0 && e.meanSpeedMph == 24.6)
    #expect(e.meets(laps: 1, minSpeed: 20))
    #expect(!e.meets(laps: 1, minSpeed: 25))
    e.offroadEvents = 1
    #expect(!e.meets())
    #expect(throws: ReportError.self) { _ = try DriveEvaluation(contentsOf: dir + "/dataset.json") }
  }
}
