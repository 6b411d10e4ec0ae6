import ArgumentParser
import DrivingData
import Foundation
import HDF5
import SampleStore

/// The preparation step: recordings -> sample store, reusing a current store and resuming an
/// interrupted one.
struct Prepare {
  let data: [String]
  let store: String
  let options: PrepareOptions
  let model: ModelKind
  /// Check an existing store in a child process before this one opens it (see `IsolatedRead`).
  let isolated: Bool
  /// Worker threads unless --threads says otherwise (under mpirun: this rank's share of the host).
  var cores = DataPreparation.processorCount

  /// Prepares (or reuses) the store.
  func run() throws -> PreparedStore {
    let (preparation, metadata) = try plan()
    if try isCurrent(metadata, fingerprint: preparation.fingerprint) {
      return PreparedStore(path: store, reused: true)
    }
    try write(preparation, metadata: metadata, into: store, shard: (0, 1))
    return PreparedStore(path: store, reused: false)
  }

  /// Reads the recordings and plans every sample (cheap: nothing is decoded).
  func plan(quiet: Bool = false) throws -> (DataPreparation, SampleStoreMetadata) {
    let settings = options.preparationOptions(for: model)
    let (recordings, reading) = try RecordingReader.read(data)
    if !quiet {
      log("\(reading)")
      for issue in reading.issues.prefix(20) { log("  skipped \(issue)") }
      if reading.issues.count > 20 { log("  ... \(reading.issues.count - 20) more skipped rows") }
    }
    guard reading.rowsRead > 0 else {
      throw ValidationError("no usable rows in \(data.joined(separator: ", "))")
    }
    let preparation = try DataPreparation(recordings: recordings, reading: reading, options: settings)
    let json = String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self)
    let metadata = SampleStoreMetadata(
      preprocessingJSON: json, seed: settings.seed, sourceFingerprint: preparation.fingerprint)
    return (preparation, metadata)
  }

  /// Whether `store` already holds this preparation (then it is reused as it is).
  func isCurrent(_ metadata: SampleStoreMetadata, fingerprint: String) throws -> Bool {
    if !options.force, FileManager.default.fileExists(atPath: store) {
      try checkExisting(metadata)
    }
    guard !options.force, let existing = try? SampleStore(path: store), existing.metadata == metadata else {
      return false
    }
    let counts = try existing.splits.map { "\($0) \(try existing.count(of: $0))" }.joined(separator: ", ")
    log("\(store) is current (fingerprint \(fingerprint)): \(counts); reusing it")
    try existing.close()
    return true
  }

  /// Writes the samples (all of them, or `shard`'s share) into the store at `target`, resuming an
  /// interrupted one. Only shard 0 writes the steering histograms of the whole plan.
  func write(
    _ preparation: DataPreparation, metadata: SampleStoreMetadata, into target: String,
    shard: (index: Int, count: Int)
  ) throws {
    let settings = preparation.options
    if !options.force, let existing = try? SampleStore(path: target), existing.metadata == metadata {
      // A shard finished by an earlier, interrupted sharded run.
      log("\(target) is complete; reusing it")
      try existing.close()
      return
    }
    if options.force, FileManager.default.fileExists(atPath: target) {
      try FileManager.default.removeItem(atPath: target)
    }
    let writer = try SampleStoreWriter(
      path: target, imageShape: [settings.height, settings.width, 3], splits: DataPreparation.splits,
      chunkImages: options.chunkImages, metadata: metadata)
    switch writer.opening {
    case .created: log("creating \(target)")
    case .resumed:
      let counts = writer.sampleCounts.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }
      log("resuming \(target): " + counts.joined(separator: ", "))
    case .rebuilt(let reason): log("rebuilding \(target): \(reason)")
    }
    let plan = preparation.plan
    if shard.index == 0 {
      log(
        "plan: \(plan.trainRows.count) training rows -> \(plan.train.count) samples, "
          + "\(plan.validationRows.count) validation rows -> \(plan.validation.count) samples")
    }

    var lastPrint = 0.0
    let summary: PreparationSummary
    do {
      let threads = options.threads ?? cores
      summary = try preparation.run(into: writer, threads: threads, shard: shard) { progress in
        guard shard.index == 0 else { return }
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
    guard shard.index == 0 else { return }
    log(summary.histogramText)
    log("\(summary)")
    let picture = options.histogram ?? store + ".steering.svg"
    try Data(summary.histogramSVG.utf8).write(to: URL(fileURLWithPath: picture))
    log("steering histograms: \(picture)")
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

/// The store training reads, and whether it was reused as it was (its fingerprint matched).
struct PreparedStore {
  var path: String
  var reused: Bool
}
