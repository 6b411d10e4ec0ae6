import ArgumentParser
import DrivingData
import Foundation
import H5Store

/// The preparation step: recordings -> sample store, reusing a current store and resuming an
/// interrupted one.
struct Prepare {
  let data: [String]
  let store: String
  let options: PrepareOptions
  let model: ModelKind
  /// Check an existing store in a child process before this one opens it (see `IsolatedRead`).
  let isolated: Bool

  /// Prepares (or reuses) the store; returns its path.
  func run() throws -> String {
    let settings = options.preparationOptions(for: model)
    let (recordings, reading) = try RecordingReader.read(data)
    log("\(reading)")
    for issue in reading.issues.prefix(20) { log("  skipped \(issue)") }
    if reading.issues.count > 20 { log("  ... \(reading.issues.count - 20) more skipped rows") }
    guard reading.rowsRead > 0 else {
      throw ValidationError("no usable rows in \(data.joined(separator: ", "))")
    }

    let preparation = try DataPreparation(recordings: recordings, reading: reading, options: settings)
    let json = String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self)
    let metadata = SampleStoreMetadata(
      preprocessingJSON: json, seed: settings.seed, sourceFingerprint: preparation.fingerprint)
    if !options.force, FileManager.default.fileExists(atPath: store) {
      try checkExisting(metadata)
    }
    if !options.force, let existing = try? SampleStore(path: store), existing.metadata == metadata {
      let counts = try existing.splits.map { "\($0) \(try existing.count(of: $0))" }.joined(separator: ", ")
      log("\(store) is current (fingerprint \(preparation.fingerprint)): \(counts); reusing it")
      try existing.close()
      return store
    }
    if options.force, FileManager.default.fileExists(atPath: store) {
      try FileManager.default.removeItem(atPath: store)
    }

    let writer = try SampleStoreWriter(
      path: store, imageShape: [settings.height, settings.width, 3], splits: DataPreparation.splits,
      chunkImages: options.chunkImages, metadata: metadata)
    switch writer.opening {
    case .created: log("creating \(store)")
    case .resumed:
      let counts = writer.sampleCounts.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }
      log("resuming \(store): " + counts.joined(separator: ", "))
    case .rebuilt(let reason): log("rebuilding \(store): \(reason)")
    }
    let plan = preparation.plan
    log(
      "plan: \(plan.trainRows.count) training rows -> \(plan.train.count) samples, "
        + "\(plan.validationRows.count) validation rows -> \(plan.validation.count) samples")

    var lastPrint = 0.0
    let summary: PreparationSummary
    do {
      let threads = options.threads ?? DataPreparation.processorCount
      summary = try preparation.run(into: writer, threads: threads) { progress in
        let now = Date().timeIntervalSince1970
        let done = progress.rowsDone == progress.rowsTotal
        if now - lastPrint > 0.5 || done {
          lastPrint = now
          FileHandle.standardError.write(Data(("\r" + progress.line + (done ? "\n" : "")).utf8))
        }
      }
    } catch {
      try? writer.close()  // stays resumable: the next run continues from the committed samples
      throw error
    }
    log(summary.histogramText)
    log("\(summary)")
    let picture = options.histogram ?? store + ".steering.svg"
    try Data(summary.histogramSVG.utf8).write(to: URL(fileURLWithPath: picture))
    log("steering histograms: \(picture)")
    return store
  }

  /// libhdf5 may crash or hang on a damaged file, so an existing store is opened (and verified
  /// against its checksums) in a child first; this process opens it only after a clean verdict,
  /// if the file has not changed since. A damaged store is an error: rebuilding it silently would
  /// hide a failing disk, and --force rebuilds it without reading it.
  private func checkExisting(_ metadata: SampleStoreMetadata) throws {
    guard isolated else { return }
    let verdict: StoreVerdict
    let identity: FileIdentity?
    do { (verdict, identity) = try IsolatedRead.storeVerdict(path: store, isolated: true) } catch {
      throw ValidationErrorText("\(error); remove it or pass --force to rebuild it")
    }
    if case .damaged(let detail) = verdict {
      throw ValidationErrorText("\(store) cannot be used: \(detail); remove it or pass --force to rebuild it")
    }
    guard identity != nil, identity == FileIdentity(path: store) else {
      throw ValidationErrorText("\(store) changed while it was being checked; run again")
    }
  }

  private func log(_ text: String) { print(text) }
}

extension JSONEncoder {
  static var sorted: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
  }
}
