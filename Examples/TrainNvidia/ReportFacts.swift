// Dataset facts for report/: counts and steering histograms (JSON and SVG) plus the sample pictures.
import DrivingData
import Foundation
import SampleStore

enum ReportFacts {
  static func write(
    data: [String], store path: String, options: PreparationOptions, model: ModelKind, to dir: String
  ) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    // Planning only (no decoding): the same plan the store was prepared from.
    let preparation = try DataPreparation(data: data, options: options)
    let store = try SampleStore(path: path)
    defer { try? store.close() }
    let h = preparation.histograms()
    var facts: [String: Value] = [
      "store": .string(path), "image_shape": .ints(store.imageShape),
      "fingerprint": .string(preparation.fingerprint),
      "recordings": .int(preparation.reading.recordings), "rows_read": .int(preparation.reading.rowsRead),
      "rows_skipped": .int(preparation.reading.rowsSkipped),
      "train_rows": .int(preparation.plan.trainRows.count),
      "validation_rows": .int(preparation.plan.validationRows.count),
      "dropped_near_zero": .int(preparation.plan.droppedNearZero),
      "options": .string(String(decoding: try JSONEncoder.sorted.encode(options), as: UTF8.self)),
    ]
    for split in store.splits { facts["samples_\(split)"] = .int(try store.count(of: split)) }
    for (name, hist) in [
      ("recorded", h.recorded), ("balanced", h.balanced), ("augmented", h.augmented),
      ("validation", h.validation),
    ] {
      facts["histogram_\(name)"] = .ints(hist.counts)
    }
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

  enum Value: Encodable {
    case string(String)
    case ints([Int])
    case int(Int)

    func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .string(let s): try c.encode(s)
      case .ints(let v): try c.encode(v)
      case .int(let v): try c.encode(v)
      }
    }
  }
}
