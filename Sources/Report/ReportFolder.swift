// Reads the files `make demo` leaves in a report folder and turns them into page sections. A file
// that is absent becomes a note saying so: the page never pretends a step ran.
import DrivingData
import Foundation

public struct ReportFolder: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  public func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + file) }

  func text(_ file: String) -> String? { try? String(contentsOfFile: path + "/" + file, encoding: .utf8) }

  func json(_ file: String) throws -> Any? {
    guard let data = FileManager.default.contents(atPath: path + "/" + file) else { return nil }
    do { return try JSONSerialization.jsonObject(with: data) } catch {
      throw ReportError.badFile(path + "/" + file, "\(error)")
    }
  }

  /// `[{"file": ..., "caption": ...}]` lists (samples.json, featuremaps.json).
  func pictures(_ file: String) throws -> [(source: String, caption: String)] {
    guard let list = try json(file) else { return [] }
    guard let items = list as? [[String: String]] else {
      throw ReportError.badFile(file, "expected [{file, caption}]")
    }
    return items.compactMap { item in item["file"].map { ($0, item["caption"] ?? $0) } }
  }

  public func datasetSection() throws -> ReportSection {
    var s = ReportSection(title: "Dataset")
    guard let data = FileManager.default.contents(atPath: path + "/dataset.json") else {
      s.blocks.append(.note("No dataset.json: TrainNvidia was not run with --report-dir \(path)."))
      return s
    }
    let facts: DatasetFacts
    do { facts = try JSONDecoder().decode(DatasetFacts.self, from: data) } catch {
      throw ReportError.badFile(path + "/dataset.json", "\(error)")
    }
    func n(_ value: Int?) -> String { value.map(grouped) ?? "-" }
    s.blocks.append(
      .table([
        ["", "count"], ["recordings", n(facts.recordings)], ["rows read", n(facts.rowsRead)],
        ["rows skipped", n(facts.rowsSkipped)],
        ["training rows", n(facts.trainRows)], ["validation rows", n(facts.validationRows)],
        ["near-zero rows dropped (balancing)", n(facts.droppedNearZero)],
        ["training samples (images)", n(facts.samplesTrain)],
        ["validation samples (images)", n(facts.samplesValidation)],
      ]))
    if let shape = facts.imageShape {
      s.blocks.append(
        .paragraph(
          "Samples are stored as uint8 images of \(shape.map(String.init).joined(separator: "x")) (height x width x channels) in \(facts.store ?? "the sample store")\(facts.reusedStore == true ? ", reused (its fingerprint matched the recordings and options)" : "")."
        ))
    }
    if let svg = text("histograms.svg") {
      s.blocks.append(
        .svg(
          svg,
          caption:
            "Steering histograms: recorded rows, training samples before and after augmentation (side cameras, flips, copies), validation."
        ))
    } else {
      s.blocks.append(.note("No histograms.svg."))
    }
    let samples = try pictures("samples.json")
    if !samples.isEmpty {
      s.blocks.append(
        .paragraph(
          "One recorded row seen by the three cameras, and what preparation makes of it (side cameras carry the steering correction; flips negate it; shifts add steering per pixel)."
        ))
      s.blocks.append(.gallery(samples, thumbnailWidth: 200))
    }
    if exists("crop.png") {
      s.blocks.append(
        .figure(
          source: "crop.png",
          caption:
            "The crop the model applies: the darkened rows (sky above, bonnet below) are cut before the convolutions.",
          width: 384))
    }
    return s
  }

  public func trainingSection() throws -> ReportSection {
    var s = ReportSection(title: "Training")
    guard let history = try json("history.json") as? [String: Any],
      let records = history["records"] as? [[String: Any]]
    else {
      s.blocks.append(.note("No history.json: training did not finish."))
      return s
    }
    func value(_ r: [String: Any], _ key: String) -> Double { (r[key] as? NSNumber)?.doubleValue ?? .nan }
    let epochs = records.map { value($0, "epoch") }
    let loss = ChartSeries(
      label: "loss", points: zip(epochs, records.map { value($0, "loss") }).map { ($0, $1) }, color: "#1f77b4"
    )
    let val = ChartSeries(
      label: "val_loss", points: zip(epochs, records.map { value($0, "valLoss") }).map { ($0, $1) },
      color: "#d62728")
    s.blocks.append(
      .svg(
        LineChart(
          title: "Mean squared error per epoch", xLabel: "epoch", yLabel: "MSE", series: [loss, val],
          logScale: true
        ).svg(),
        caption:
          "Training loss (with dropout, averaged over the epoch) and validation loss (inference mode, end of epoch)."
      ))
    var table = [["epoch", "loss", "val_loss", "learning rate", "seconds", "images/s", "event"]]
    for r in records {
      table.append([
        String(Int(value(r, "epoch"))), String(format: "%.5f", value(r, "loss")),
        String(format: "%.5f", value(r, "valLoss")),
        String(format: "%g", value(r, "learningRate")), String(format: "%.1f", value(r, "seconds")),
        String(format: "%.0f", value(r, "imagesPerSecond")), r["event"] as? String ?? "",
      ])
    }
    s.blocks.append(.table(table))
    let seconds = records.map { value($0, "seconds") }.reduce(0, +)
    let rate = records.map { value($0, "imagesPerSecond") }
    s.blocks.append(
      .paragraph(
        String(
          format: "%d epochs in %.0f s (%.1f s per epoch), %.0f training images/s on average; best epoch %@.",
          records.count, seconds, seconds / Double(max(records.count, 1)),
          rate.reduce(0, +) / Double(max(rate.count, 1)),
          (history["bestEpoch"] as? NSNumber)?.stringValue ?? "-")))
    return s
  }

  public func modelSection() throws -> ReportSection {
    var s = ReportSection(title: "Model")
    if let table = try json("summary.json") as? [[String]] {
      s.blocks.append(.table(table))
    } else if let summary = text("summary.txt") {
      s.blocks.append(.preformatted(summary))
    } else {
      s.blocks.append(.note("No model summary."))
    }
    let maps = try pictures("featuremaps.json")
    if !maps.isEmpty {
      if exists("featuremaps-input.png") {
        s.blocks.append(
          .figure(
            source: "featuremaps-input.png", caption: "Test image (centre camera) fed to the trained model",
            width: 256))
      }
      for m in maps { s.blocks.append(.figure(source: m.source, caption: "Feature maps of \(m.caption)")) }
    }
    return s
  }

  public func driveSection() throws -> ReportSection {
    var s = ReportSection(title: "Drive")
    var rows = [
      [
        "track", "controller", "laps", "off-road events", "autonomy", "mean speed (mph)", "mean |CTE| (m)",
        "max |CTE| (m)", "lap times (s)",
      ]
    ]
    for file in ["drive.json", "jungle.json"] {
      guard exists(file) else { continue }
      let e = try DriveEvaluation(contentsOf: path + "/" + file)
      rows.append([
        e.track, e.controller, String(e.laps), String(e.offroadEvents),
        String(format: "%.1f%%", e.autonomy * 100), String(format: "%.1f", e.meanSpeedMph),
        String(format: "%.2f", e.meanCteM), String(format: "%.2f", e.maxCteM),
        e.lapTimesS.map { String(format: "%.1f", $0) }.joined(separator: ", "),
      ])
    }
    if rows.count > 1 {
      s.blocks.append(.table(rows))
      s.blocks.append(
        .paragraph(
          "Autonomy as NVIDIA defines it: 1 - (interventions x 6 s) / elapsed time; an off-road event counts as an intervention."
        ))
    } else {
      s.blocks.append(.note("No drive.json: the closed-loop drive did not run."))
    }
    for (file, caption) in [
      ("drive.png", "Top-down path of the drive on lake"),
      ("jungle.png", "Top-down path of the lake-trained model on jungle"),
    ] where exists(file) {
      s.blocks.append(.figure(source: file, caption: caption, width: 640))
    }
    if let video = ["drive.mp4", "drive.avi"].first(where: exists) {
      s.blocks.append(.video(source: video, caption: "The drive as the centre camera saw it"))
    }
    return s
  }
}

public enum ReportError: Error, CustomStringConvertible, Equatable {
  case badFile(String, String)

  public var description: String {
    switch self {
    case .badFile(let file, let why): "cannot read \(file): \(why)"
    }
  }
}

func grouped(_ n: Int) -> String {
  let digits = Array(String(abs(n)))
  var out = n < 0 ? "-" : ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
    out.append(ch)
  }
  return out
}
