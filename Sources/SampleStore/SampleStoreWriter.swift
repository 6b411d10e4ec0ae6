import Foundation
import HDF5
import TensorCore

/// Writes a sample store (layout in `SampleStoreLayout`), resuming an interrupted one.
///
/// Crash safety: every `append` extends and writes the columns, flushes, and only then records the
/// new sample count (and the running checksums) in the split's attributes and flushes again. The
/// root `complete` marker is set by `finish()` after everything else is flushed. A writer killed at
/// any point leaves a file whose `complete` is 0 (readers refuse it) and whose committed count only
/// covers flushed samples. Opening it again with the same metadata verifies the committed samples
/// against their checksums, drops anything past them, and resumes; a file that cannot be opened or
/// verified is rebuilt from scratch. Either way the finished store holds exactly the samples an
/// uninterrupted run writes, provided the producer replays them from `resumePoint(for:)` on.
public final class SampleStoreWriter: SampleSink, @unchecked Sendable {
  /// How the writer found the file.
  public enum Opening: Sendable, Equatable {
    case created
    /// An interrupted (or finished) store with the same metadata, continued.
    case resumed
    /// The file existed but could not be continued (why), so it was recreated empty.
    case rebuilt(reason: String)
  }

  public let path: String
  public let imageShape: [Int]
  public let splits: [String]
  public let chunkImages: Int
  public let deflate: Int?
  public let metadata: SampleStoreMetadata
  public let opening: Opening

  private let lock = Lock()
  private var file: H5File?
  private var root: H5Group
  private var columns: [String: SplitColumns] = [:]
  private var groups: [String: H5Group] = [:]
  private var counts: [String: Int] = [:]
  private var checksums: [String: SplitChecksums] = [:]
  private var markedComplete: Bool
  /// Test instrumentation: called at each step of an append ("extended", "written", "flushed",
  /// "committed") so a test can copy the file exactly as a kill at that moment would leave it.
  package var stepHook: (@Sendable (String) -> Void)?

  /// Creates the store at `path`, or resumes the one there when it has the same shape, splits,
  /// chunking, compression and metadata. A different or damaged store is rebuilt; a file that is
  /// not HDF5 at all, or HDF5 of another format, is left alone and an error is thrown.
  /// - imageShape: `(height, width, channels)`.
  /// - chunkImages: images per HDF5 chunk (the loader's unit of reading); 256 by default.
  /// - deflate: gzip level, or nil for none. Compressed stores are smaller but read far slower.
  public init(
    path: String, imageShape: [Int], splits: [String], chunkImages: Int = 256, deflate: Int? = nil,
    metadata: SampleStoreMetadata
  ) throws {
    guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
      throw H5StoreError.invalidArgument(
        "image shape must be (height, width, channels) > 0, got \(imageShape)")
    }
    guard !splits.isEmpty, Set(splits).count == splits.count,
      splits.allSatisfy({ !$0.isEmpty && !$0.contains("/") && $0 != "." })
    else {
      throw H5StoreError.invalidArgument("split names must be distinct, non-empty and without '/': \(splits)")
    }
    guard chunkImages > 0 else { throw H5StoreError.invalidArgument("chunkImages must be positive") }
    self.path = path
    self.imageShape = imageShape
    self.splits = splits
    self.chunkImages = chunkImages
    self.deflate = deflate
    self.metadata = metadata

    let layout = SampleStoreFileLayout(
      imageShape: imageShape, splits: splits, chunkImages: chunkImages, deflate: deflate, metadata: metadata)
    var opening = Opening.created
    if FileManager.default.fileExists(atPath: path) {
      switch Self.tryResume(path: path, layout: layout) {
      case .resumable(let source, let complete, let committed):
        // Never append through metadata a killed writer left: copy what it committed (verified)
        // into a fresh file that replaces it. See SampleStoreResume.swift.
        switch try Self.copyCommitted(
          from: source, complete: complete, splits: committed, to: path, layout: layout)
        {
        case .copied: opening = .resumed
        case .mismatch(let reason): opening = .rebuilt(reason: reason)
        }
      case .rebuild(let reason): opening = .rebuilt(reason: reason)
      case .foreign(let error): throw error
      }
    }
    if opening != .resumed {
      // Built beside the store and renamed over it, never truncated in place (FileReplacement).
      try Self.createEmpty(at: path, layout: layout)
    }
    self.opening = opening
    // The file at `path` is now one this process wrote and closed cleanly: append through it.
    let file = try H5File(opening: path, mode: .readWrite)
    self.file = file
    self.root = try file.root()
    self.markedComplete = try root.attribute(SampleStoreLayout.RootAttribute.complete, as: Int32.self) == 1
    for split in splits {
      let group = try root.group(split)
      let count = Int(try group.attribute(SampleStoreLayout.SplitAttribute.count, as: Int64.self))
      let saved = try group.arrayAttribute(SampleStoreLayout.SplitAttribute.checksumState, as: UInt64.self)
      groups[split] = group
      columns[split] = try SplitColumns.open(group)
      counts[split] = count
      checksums[split] = try SplitChecksums(saved: saved).unwrap(
        or: H5StoreError.corrupt(path: path, detail: "bad checksum state"))
    }
  }

  /// Writes an empty store (root attributes, every split with no samples) beside `path` and
  /// renames it over whatever is there.
  static func createEmpty(at path: String, layout: SampleStoreFileLayout) throws {
    let side = try prepareReplacement(for: path)
    do {
      let file = try H5File(creating: side, overwrite: false)
      let root = try file.root()
      try layout.writeRootAttributes(root, complete: false)
      for split in layout.splits {
        let group = try root.createGroup(split)
        _ = try SplitColumns.create(
          group, imageShape: layout.imageShape, chunkImages: layout.chunkImages, deflate: layout.deflate)
        try group.setAttribute(SampleStoreLayout.SplitAttribute.count, Int64(0))
        try group.setAttribute(SampleStoreLayout.SplitAttribute.checksumState, SplitChecksums().saved)
      }
      try file.flush()
      try file.close()
      try FileReplacement.replace(path, with: side)
    } catch {
      try? FileManager.default.removeItem(atPath: side)
      throw error
    }
  }

  /// Records the split's count and checksum state (after its data was flushed).
  private func commit(_ split: String) throws {
    guard let group = groups[split], let count = counts[split], let sums = checksums[split] else { return }
    try group.setAttribute(SampleStoreLayout.SplitAttribute.count, Int64(count))
    try group.setAttribute(SampleStoreLayout.SplitAttribute.checksumState, sums.saved)
  }

  public func resumePoint(for split: String) throws -> Int {
    lock.lock()
    defer { lock.unlock() }
    guard let count = counts[split] else { throw unknownSplit(split) }
    return count
  }

  public func append(_ batch: SampleBatch, to split: String) throws {
    lock.lock()
    defer { lock.unlock() }
    guard let file else { throw H5StoreError.closed(object: path) }
    guard let cols = columns[split], let start = counts[split], let sums = checksums[split] else {
      throw unknownSplit(split)
    }
    guard [batch.height, batch.width, batch.channels] == imageShape else {
      throw H5StoreError.invalidArgument(
        "batch images are \([batch.height, batch.width, batch.channels]), store holds \(imageShape)")
    }
    guard batch.count > 0 else { return }
    do {
      try append(batch, to: split, file: file, columns: cols, start: start, checksums: sums)
    } catch {
      abandon()
      throw error
    }
  }

  /// The steps of one append, in crash-safe order. Called with the lock held.
  private func append(
    _ batch: SampleBatch, to split: String, file: H5File, columns cols: SplitColumns, start: Int,
    checksums committed: SplitChecksums
  ) throws {
    var sums = committed
    if markedComplete {
      // Appending to a finished store: it is unfinished again until the next finish().
      try root.setAttribute(SampleStoreLayout.RootAttribute.complete, Int32(0))
      try file.flush()
      markedComplete = false
    }
    let provenance = ProvenanceColumns(batch)
    try cols.resize(to: start + batch.count, imageShape: imageShape)
    stepHook?("extended")
    try cols.write(batch, provenance: provenance, at: start, imageShape: imageShape)
    stepHook?("written")
    try file.flush()
    stepHook?("flushed")
    sums.update(images: batch.images, steering: batch.labels, provenance: provenance)
    counts[split] = start + batch.count
    checksums[split] = sums
    try commit(split)
    try file.flush()
    stepHook?("committed")
  }

  /// Marks the store complete and closes it. Appending afterwards is an error.
  public func finish() throws {
    lock.lock()
    defer { lock.unlock() }
    guard let file else { throw H5StoreError.closed(object: path) }
    do {
      try file.flush()
      try root.setAttribute(SampleStoreLayout.RootAttribute.complete, Int32(1))
      try file.flush()
      try file.close()
    } catch {
      abandon()
      throw error
    }
    self.file = nil
    columns = [:]
    groups = [:]
  }

  /// After a failed write nothing more is written through this writer: what was committed before
  /// stays on disk, and a new writer on the same path resumes from it. Called with the lock held.
  private func abandon() {
    columns = [:]
    groups = [:]
    try? file?.close()
    file = nil
  }

  /// Closes without finishing: the store stays incomplete and resumable.
  public func close() throws {
    lock.lock()
    defer { lock.unlock() }
    try file?.close()
    file = nil
    columns = [:]
    groups = [:]
  }

  /// Samples stored per split so far.
  public var sampleCounts: [String: Int] {
    lock.lock()
    defer { lock.unlock() }
    return counts
  }

  private func unknownSplit(_ split: String) -> H5StoreError {
    .invalidArgument("unknown split '\(split)' in \(path); splits are \(splits)")
  }
}

extension Optional {
  fileprivate func unwrap(or error: @autoclosure () -> H5StoreError) throws -> Wrapped {
    guard let value = self else { throw error() }
    return value
  }
}
