import Foundation
import HDF5

// Resuming an interrupted store. HDF5 1.10 gives no crash consistency for its own metadata: a
// writer killed inside `H5Fflush` can leave the superblock's end-of-allocation behind B-tree nodes
// or object headers that were already written. Such a file may still read correctly, but appending
// to it allocates space that live metadata already occupies, and libhdf5 then fails ("addr
// overflow") or crashes. So a resumed writer never writes through metadata a killed process left:
// it opens the old file read-only, copies the committed samples into a fresh file (checking their
// checksums on the way, the pass verification needs anyway), renames that over the old one, and
// appends to the file it made itself. A kill during the copy leaves the old file untouched.
// (A rebuild, too, builds beside the store and renames: FileReplacement.swift says why.)
extension SampleStoreWriter {
  /// What a verified split holds: the committed count and its checksum state.
  struct CommittedSplit {
    var count: Int
    var checksums: SplitChecksums
  }

  enum ResumeDecision {
    /// The file is ours, with this layout; `source` is open read-only.
    case resumable(source: H5File, complete: Bool, splits: [String: CommittedSplit])
    case rebuild(String)
    case foreign(H5StoreError)
  }

  /// The fresh file a writer builds (a resume's copy, or an empty store) before renaming it over
  /// the store.
  static func replacementPath(_ path: String) -> String { path + ".partial" }

  /// Clears the way for a new replacement file: a stale one (left by a killed writer) is removed,
  /// one that another process is still writing through HDF5 is an `.inUse` error.
  static func prepareReplacement(for path: String) throws -> String {
    let side = replacementPath(path)
    if let held = try FileReplacement.lockExclusively(side) {
      FileReplacement.release(held)
      try? FileManager.default.removeItem(atPath: side)
    }
    return side
  }

  static func tryResume(path: String, layout: SampleStoreFileLayout) -> ResumeDecision {
    // A writer killed before its first flush can leave an empty or signature-less file: only a
    // non-empty file without the HDF5 signature is someone else's (never overwrite it).
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let file: H5File
    do {
      file = try H5File(opening: path, mode: .readOnly)
    } catch let error as H5StoreError {
      if size > 0, case .notHDF5(_, let detail) = error, detail == "no HDF5 signature" {
        return .foreign(error)
      }
      if case .hdf5(_, _, let detail) = error, detail.localizedCaseInsensitiveContains("unable to lock") {
        return .foreign(.inUse(path: path))  // a writer still running: never rebuild under it
      }
      if case .hdf5 = error { return .foreign(error) }
      return .rebuild("could not open: \(error)")
    } catch {
      return .rebuild("could not open: \(error)")
    }
    let decision = decide(file, path: path, layout: layout)
    if case .resumable = decision {} else { try? file.close() }
    return decision
  }

  private static func decide(_ file: H5File, path: String, layout: SampleStoreFileLayout) -> ResumeDecision {
    typealias A = SampleStoreLayout.RootAttribute
    do {
      let root = try file.root()
      guard try root.hasAttribute(A.format) else {
        return .foreign(.wrongFormat(path: path, found: "HDF5 without a 'format' attribute"))
      }
      let format = try root.stringAttribute(A.format)
      guard format == SampleStoreLayout.formatName else {
        return .foreign(.wrongFormat(path: path, found: format))
      }
      let version = try root.attribute(A.version, as: Int32.self)
      guard version == SampleStoreLayout.formatVersion else { return .rebuild("format version \(version)") }
      let found = SampleStoreMetadata(
        preprocessingJSON: try root.stringAttribute(A.preprocessing),
        seed: try root.attribute(A.seed, as: UInt64.self),
        sourceFingerprint: try root.stringAttribute(A.fingerprint))
      guard found == layout.metadata else {
        return .rebuild("different preprocessing, seed or source fingerprint")
      }
      guard try root.arrayAttribute(A.imageShape, as: Int32.self).map({ Int($0) }) == layout.imageShape,
        try root.attribute(A.chunkImages, as: Int64.self) == Int64(layout.chunkImages),
        try root.attribute(A.deflate, as: Int32.self) == Int32(layout.deflate ?? -1),
        try root.stringArrayAttribute(A.splits) == layout.splits
      else { return .rebuild("different image shape, chunking, compression or splits") }
      var committed: [String: CommittedSplit] = [:]
      for split in layout.splits {
        let group = try root.group(split)
        let columns = try SplitColumns.open(group)
        let count = Int(try group.attribute(SampleStoreLayout.SplitAttribute.count, as: Int64.self))
        guard count >= 0 else { return .rebuild("split \(split): negative count \(count)") }
        guard
          let stored = SplitChecksums(
            saved: try group.arrayAttribute(SampleStoreLayout.SplitAttribute.checksumState, as: UInt64.self))
        else { return .rebuild("split \(split): unreadable checksum state") }
        guard try columns.images.shape().dropFirst() == ArraySlice(layout.imageShape) else {
          return .rebuild("split \(split): images of another shape")
        }
        for column in columns.all where try column.shape()[0] < count {
          return .rebuild("split \(split): \(column.path) holds fewer than the \(count) committed samples")
        }
        committed[split] = CommittedSplit(count: count, checksums: stored)
      }
      let complete = try root.attribute(A.complete, as: Int32.self) == 1
      return .resumable(source: file, complete: complete, splits: committed)
    } catch {
      return .rebuild("damaged: \(error)")
    }
  }

  enum CopyOutcome {
    case copied
    case mismatch(String)
  }

  /// Copies the committed samples of `source` into a new file at `replacementPath(path)`, verifying
  /// each split's checksums, and renames it over `path` only when all of them match. Closes `source`.
  /// A source HDF5 cannot read to the end is a mismatch (rebuild), not an error.
  static func copyCommitted(
    from source: H5File, complete: Bool, splits committed: [String: CommittedSplit], to path: String,
    layout: SampleStoreFileLayout
  ) throws -> CopyOutcome {
    let copy: H5File
    let copyPath: String
    do {
      copyPath = try prepareReplacement(for: path)
      copy = try H5File(creating: copyPath, overwrite: false)
    } catch {
      try? source.close()
      throw error
    }
    var outcome: CopyOutcome
    do {
      outcome = try copySplits(
        from: source, to: copy, complete: complete, committed: committed, layout: layout)
      try copy.flush()
    } catch {
      outcome = .mismatch("damaged: \(error)")
    }
    // Both files are closed before anything is renamed or removed: HDF5 identifies open files by
    // inode, and a file left open under a reused inode would be taken for another.
    try? copy.close()
    try? source.close()
    guard case .copied = outcome else {
      try? FileManager.default.removeItem(atPath: copyPath)
      return outcome
    }
    do {
      try FileReplacement.replace(path, with: copyPath)
    } catch {
      try? FileManager.default.removeItem(atPath: copyPath)
      throw error
    }
    return .copied
  }

  private static func copySplits(
    from source: H5File, to copy: H5File, complete: Bool, committed: [String: CommittedSplit],
    layout: SampleStoreFileLayout
  ) throws -> CopyOutcome {
    let destination = try copy.root()
    try layout.writeRootAttributes(destination, complete: complete)
    let sourceRoot = try source.root()
    for split in layout.splits {
      guard let expected = committed[split] else { return .mismatch("split \(split) missing") }
      let from = try SplitColumns.open(try sourceRoot.group(split))
      let group = try destination.createGroup(split)
      let to = try SplitColumns.create(
        group, imageShape: layout.imageShape, chunkImages: layout.chunkImages, deflate: layout.deflate)
      let sums = try copySamples(from: from, to: to, count: expected.count, layout: layout)
      guard sums == expected.checksums else {
        return .mismatch("split \(split): committed samples fail their checksum")
      }
      try group.setAttribute(SampleStoreLayout.SplitAttribute.count, Int64(expected.count))
      try group.setAttribute(SampleStoreLayout.SplitAttribute.checksumState, sums.saved)
    }
    return .copied
  }

  /// Copies the first `count` samples chunk by chunk, returning their checksums.
  private static func copySamples(
    from: SplitColumns, to: SplitColumns, count: Int, layout: SampleStoreFileLayout
  ) throws -> SplitChecksums {
    var sums = SplitChecksums()
    try to.resize(to: count, imageShape: layout.imageShape)
    var start = 0
    while start < count {
      let n = min(layout.chunkImages, count - start)
      let rows = start..<(start + n)
      let images = try from.images.read(
        as: UInt8.self, start: [start, 0, 0, 0], count: [n] + layout.imageShape)
      let steering = try from.steering.read(as: Float.self, rows: rows)
      let provenance = ProvenanceColumns(
        recording: try from.recording.read(as: Int32.self, rows: rows),
        row: try from.row.read(as: Int32.self, rows: rows),
        camera: try from.camera.read(as: UInt8.self, rows: rows),
        flipped: try from.flipped.read(as: UInt8.self, rows: rows))
      sums.update(images: images, steering: steering, provenance: provenance)
      try to.write(
        images: images, steering: steering, provenance: provenance, at: start, imageShape: layout.imageShape)
      start += n
    }
    return sums
  }
}
