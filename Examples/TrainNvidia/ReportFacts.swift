// Dataset facts for report/: counts and steering histograms (JSON and SVG) plus the sample pictures.
import DrivingData
import Foundation
import Report
import SampleStore

enum ReportFacts {
  static func write(
    data: [String], store path: String, reusedStore: Bool, options: PreparationOptions, model: ModelKind,
    to dir: String
  ) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    // Planning only (no decoding): the same plan the store was prepared from.
    let preparation = try DataPreparation(data: data, options: options)
    let store = try SampleStore(path: path)
    defer { try? store.close() }
    let h = preparation.histograms()
    var facts = DatasetFacts()
    facts.store = path
    facts.imageShape = store.imageShape
    facts.fingerprint = preparation.fingerprint
    facts.reusedStore = reusedStore
    facts.recordings = preparation.reading.recordings
    facts.rowsRead = preparation.reading.rowsRead
    facts.rowsSkipped = preparation.reading.rowsSkipped
    facts.trainRows = preparation.plan.trainRows.count
    facts.validationRows = preparation.plan.validationRows.count
    facts.droppedNearZero = preparation.plan.droppedNearZero
    facts.options = String(decoding: try JSONEncoder.sorted.encode(options), as: UTF8.self)
    facts.samplesTrain = try store.count(of: "train")
    facts.samplesValidation = try store.count(of: "validation")
    facts.histogramRecorded = h.recorded.counts
    facts.histogramBalanced = h.balanced.counts
    facts.histogramAugmented = h.augmented.counts
    facts.histogramValidation = h.validation.counts
    let svg = SteeringHistogram.svg(
      [
        ("recorded rows", h.recorded), ("training, before augmentation", h.balanced),
        ("training, after augmentation", h.augmented), ("validation", h.validation),
      ],
      title: "Steering distribution before and after augmentation")
    try svg.write(toFile: dir + "/histograms.svg", atomically: true, encoding: .utf8)
    try JSONEncoder.sorted.encode(facts).write(to: URL(fileURLWithPath: dir + "/dataset.json"))
    try ReportFigures.writeDatasetFigures(preparation, model: model, to: dir)
  }
}
