import Foundation

// Whether an existing file at a writer's path can be continued, must be rebuilt, or is not ours.
extension SampleStoreWriter {
  enum ResumeDecision {
    case resumable(H5File, complete: Bool)
    case rebuild(String)
    case foreign(H5StoreError)
  }

  static func tryResume(
    path: String, imageShape: [Int], splits: [String], chunkImages: Int, deflate: Int?,
    metadata: SampleStoreMetadata
  ) -> ResumeDecision {
    typealias A = SampleStoreLayout.RootAttribute
    // A writer killed before its first flush can leave an empty or signature-less file: only a
    // non-empty file without the HDF5 signature is someone else's (never overwrite it).
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let file: H5File
    do {
      file = try H5File(opening: path, mode: .readWrite)
    } catch let error as H5StoreError {
      if size > 0, case .notHDF5(_, let detail) = error, detail == "no HDF5 signature" {
        return .foreign(error)
      }
      if case .hdf5 = error {
        return .foreign(error)  // e.g. locked by a writer still running: never rebuild under it
      }
      return .rebuild("could not open: \(error)")
    } catch {
      return .rebuild("could not open: \(error)")
    }
    let decision = decide(
      file, path: path, imageShape: imageShape, splits: splits, chunkImages: chunkImages,
      deflate: deflate, metadata: metadata)
    if case .resumable = decision {} else { try? file.close() }
    return decision
  }

  private static func decide(
    _ file: H5File, path: String, imageShape: [Int], splits: [String], chunkImages: Int, deflate: Int?,
    metadata: SampleStoreMetadata
  ) -> ResumeDecision {
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
      guard found == metadata else { return .rebuild("different preprocessing, seed or source fingerprint") }
      guard try root.arrayAttribute(A.imageShape, as: Int32.self).map({ Int($0) }) == imageShape,
        try root.attribute(A.chunkImages, as: Int64.self) == Int64(chunkImages),
        try root.attribute(A.deflate, as: Int32.self) == Int32(deflate ?? -1),
        try root.stringArrayAttribute(A.splits) == splits
      else { return .rebuild("different image shape, chunking, compression or splits") }
      for split in splits {
        let group = try root.group(split)
        let columns = try SplitColumns.open(group)
        let count = Int(try group.attribute(SampleStoreLayout.SplitAttribute.count, as: Int64.self))
        guard
          let stored = SplitChecksums(
            saved: try group.arrayAttribute(SampleStoreLayout.SplitAttribute.checksumState, as: UInt64.self))
        else { return .rebuild("split \(split): unreadable checksum state") }
        for column in columns.all where try column.shape()[0] < count {
          return .rebuild("split \(split): \(column.path) holds fewer than the \(count) committed samples")
        }
        let recomputed = try SplitChecksums.recompute(
          columns, count: count, imageShape: imageShape, chunk: chunkImages)
        guard recomputed == stored else {
          return .rebuild("split \(split): committed samples fail their checksum")
        }
      }
      return .resumable(file, complete: try root.attribute(A.complete, as: Int32.self) == 1)
    } catch {
      return .rebuild("damaged: \(error)")
    }
  }
}
