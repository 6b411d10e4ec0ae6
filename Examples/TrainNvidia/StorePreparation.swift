// The sample store step: reuse a finished store whose fingerprint matches the recordings and
// options, resume an interrupted one, or prepare it from scratch.
import DrivingData
import Foundation
import H5Store

struct StorePreparation {
  let store: SampleStore
  /// Nil when only a store was given (no recordings to describe).
  let preparation: DataPreparation?
  /// Samples per split, and whether the store was reused as it was.
  let reused: Bool

  static func prepareOrReuse(data: [String], store path: String, options: PreparationOptions, threads: Int) throws
    -> StorePreparation
  {
    guard !data.isEmpty else {
      let store = try SampleStore(path: path)
      print("using \(path) as it is (no --data given): \(try describe(store))")
      return StorePreparation(store: store, preparation: nil, reused: true)
    }
    print("reading recordings: \(data.joined(separator: ", "))")
    let preparation = try DataPreparation(data: data, options: options)
    print(preparation.reading)
    if let existing = try? SampleStore(path: path), existing.metadata.sourceFingerprint == preparation.fingerprint {
      print("reusing \(path) (fingerprint \(preparation.fingerprint)): \(try describe(existing))")
      return StorePreparation(store: existing, preparation: preparation, reused: true)
    }
    let json = String(decoding: try JSONEncoder.sorted.encode(options), as: UTF8.self)
    let writer = try SampleStoreWriter(
      path: path, imageShape: [options.height, options.width, 3], splits: DataPreparation.splits,
      metadata: SampleStoreMetadata(preprocessingJSON: json, seed: options.seed, sourceFingerprint: preparation.fingerprint))
    switch writer.opening {
    case .created: print("preparing \(path)")
    case .resumed: print("resuming the interrupted preparation of \(path)")
    case .rebuilt(let reason): print("rebuilding \(path): \(reason)")
    }
    var last = Date.distantPast
    let summary = try preparation.run(into: writer, threads: threads) { p in
      let now = Date()
      guard now.timeIntervalSince(last) >= 0.5 || p.rowsDone == p.rowsTotal else { return }
      last = now
      FileHandle.standardError.write(Data(("\r" + p.line).utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    try writer.close()
    print(summary)
    let store = try SampleStore(path: path)
    return StorePreparation(store: store, preparation: preparation, reused: false)
  }

  static func describe(_ store: SampleStore) throws -> String {
    try store.splits.map { "\($0) \(try store.count(of: $0))" }.joined(separator: ", ") + " samples of \(store.imageShape)"
  }

  /// Dataset facts for the report: counts and steering histograms (JSON and SVG).
  func writeReportFacts(to dir: String, model: ModelKind) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var facts: [String: DatasetFacts.Value] = [
      "store": .string(store.path), "image_shape": .ints(store.imageShape), "reused_store": .bool(reused),
    ]
    for split in store.splits { facts["samples_\(split)"] = .ints([try store.count(of: split)]) }
    if let p = preparation {
      let h = p.histograms()
      facts["recordings"] = .ints([p.reading.recordings])
      facts["rows_read"] = .ints([p.reading.rowsRead])
      facts["rows_skipped"] = .ints([p.reading.rowsSkipped])
      facts["train_rows"] = .ints([p.plan.trainRows.count])
      facts["validation_rows"] = .ints([p.plan.validationRows.count])
      facts["dropped_near_zero"] = .ints([p.plan.droppedNearZero])
      facts["fingerprint"] = .string(p.fingerprint)
      facts["options"] = .string(String(decoding: try JSONEncoder.sorted.encode(p.options), as: UTF8.self))
      for (name, hist) in [("recorded", h.recorded), ("balanced", h.balanced), ("augmented", h.augmented), ("validation", h.validation)] {
        facts["histogram_\(name)"] = .ints(hist.counts)
      }
      let svg = SteeringHistogram.svg(
        [("recorded rows", h.recorded), ("training, before augmentation", h.balanced),
         ("training, after augmentation", h.augmented), ("validation", h.validation)],
        title: "Steering distribution before and after augmentation")
      try svg.write(toFile: dir + "/histograms.svg", atomically: true, encoding: .utf8)
      try ReportFigures.writeDatasetFigures(p, model: model, to: dir)
    }
    try JSONEncoder.sorted.encode(facts).write(to: URL(fileURLWithPath: dir + "/dataset.json"))
  }
}

enum DatasetFacts {
  enum Value: Encodable {
    case string(String), ints([Int]), bool(Bool)
    func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .string(let s): try c.encode(s)
      case .ints(let v): if v.count == 1 { try c.encode(v[0]) } else { try c.encode(v) }
      case .bool(let b): try c.encode(b)
      }
    }
  }
}

extension JSONEncoder {
  static var sorted: JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .prettyPrinted]
    return e
  }
}
