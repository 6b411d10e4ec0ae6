import Foundation
import HDF5
import TensorCore

/// A finished sample store, opened read-only. Opening validates the format name, version and the
/// completion marker, and that every split's columns hold the committed number of samples.
/// Thread-safe: reads from several threads are serialized on the HDF5 lock.
public final class SampleStore: @unchecked Sendable {
  public let path: String
  public let metadata: SampleStoreMetadata
  /// `(height, width, channels)`.
  public let imageShape: [Int]
  public let chunkImages: Int
  /// gzip level, or nil when uncompressed.
  public let deflate: Int?
  public let splits: [String]
  let file: H5File
  let columns: [String: SplitColumns]
  private let counts: [String: Int]
  private let checksums: [String: SplitChecksums]

  public init(path: String) throws {
    typealias A = SampleStoreLayout.RootAttribute
    self.path = path
    do {
      file = try H5File(opening: path, mode: .readOnly)
    } catch H5StoreError.notHDF5(let path, let detail) where detail.contains("truncated") {
      throw H5StoreError.corrupt(path: path, detail: "the file is truncated (\(detail))")
    }
    let root = try file.root()
    guard try root.hasAttribute(A.format) else {
      throw H5StoreError.wrongFormat(path: path, found: "HDF5 without a 'format' attribute")
    }
    let format = try root.stringAttribute(A.format)
    guard format == SampleStoreLayout.formatName else {
      throw H5StoreError.wrongFormat(path: path, found: format)
    }
    let version = Int(try root.attribute(A.version, as: Int32.self))
    guard version == Int(SampleStoreLayout.formatVersion) else {
      throw H5StoreError.unsupportedVersion(
        path: path, found: version, supported: Int(SampleStoreLayout.formatVersion))
    }
    guard try root.attribute(A.complete, as: Int32.self) == 1 else {
      throw H5StoreError.incomplete(path: path)
    }
    // A store joined from shards (virtual datasets): every shard must be there and unchanged.
    if try root.hasAttribute(SampleStoreShards.manifestAttribute) {
      try SampleStoreShards.checkManifest(
        try root.stringAttribute(SampleStoreShards.manifestAttribute), store: path)
    }
    metadata = SampleStoreMetadata(
      preprocessingJSON: try root.stringAttribute(A.preprocessing),
      seed: try root.attribute(A.seed, as: UInt64.self),
      sourceFingerprint: try root.stringAttribute(A.fingerprint))
    imageShape = try root.arrayAttribute(A.imageShape, as: Int32.self).map { Int($0) }
    chunkImages = Int(try root.attribute(A.chunkImages, as: Int64.self))
    let level = try root.attribute(A.deflate, as: Int32.self)
    deflate = level < 0 ? nil : Int(level)
    splits = try root.stringArrayAttribute(A.splits)
    var columns: [String: SplitColumns] = [:]
    var counts: [String: Int] = [:]
    var checksums: [String: SplitChecksums] = [:]
    for split in splits {
      let group = try root.group(split)
      let cols = try SplitColumns.open(group)
      let count = Int(try group.attribute(SampleStoreLayout.SplitAttribute.count, as: Int64.self))
      for column in cols.all {
        let rows = try column.shape().first ?? -1
        guard rows == count else {
          throw H5StoreError.corrupt(
            path: path, detail: "\(column.path) has \(rows) rows, the store committed \(count)")
        }
      }
      guard try cols.images.shape() == [count] + imageShape else {
        throw H5StoreError.corrupt(
          path: path, detail: "images are \(try cols.images.shape()), expected \(imageShape)")
      }
      let saved = try group.arrayAttribute(SampleStoreLayout.SplitAttribute.checksumState, as: UInt64.self)
      guard let sums = SplitChecksums(saved: saved) else {
        throw H5StoreError.corrupt(path: path, detail: "split \(split) has no valid checksum state")
      }
      columns[split] = cols
      counts[split] = count
      checksums[split] = sums
    }
    self.columns = columns
    self.counts = counts
    self.checksums = checksums
  }

  /// Bytes of one image.
  public var imageBytes: Int { imageShape.reduce(1, *) }

  public func count(of split: String) throws -> Int {
    guard let count = counts[split] else { throw unknownSplit(split) }
    return count
  }

  /// Images `range` of `split`, `(range.count, H, W, C)` row-major.
  public func images(of split: String, range: Range<Int>) throws -> [UInt8] {
    try checked(split, range).images.read(as: UInt8.self, rows: range)
  }

  public func steering(of split: String, range: Range<Int>) throws -> [Float] {
    try checked(split, range).steering.read(as: Float.self, rows: range)
  }

  public func provenance(of split: String, range: Range<Int>) throws -> [SampleProvenance] {
    let cols = try checked(split, range)
    return try ProvenanceColumns(
      recording: cols.recording.read(as: Int32.self, rows: range),
      row: cols.row.read(as: Int32.self, rows: range),
      camera: cols.camera.read(as: UInt8.self, rows: range),
      flipped: cols.flipped.read(as: UInt8.self, rows: range)
    ).provenance()
  }

  /// Samples `range` of `split`, images, labels and provenance together.
  public func batch(of split: String, range: Range<Int>) throws -> SampleBatch {
    SampleBatch(
      images: try images(of: split, range: range), labels: try steering(of: split, range: range),
      provenance: try provenance(of: split, range: range), height: imageShape[0], width: imageShape[1],
      channels: imageShape[2])
  }

  /// Reads images `range` straight into `images` (unless nil: the loader's direct reads fetch them
  /// itself) and steering into `steering`: the loader's path, no allocation.
  package func read(
    _ split: String, range: Range<Int>, images: UnsafeMutableRawBufferPointer?,
    steering: UnsafeMutableRawBufferPointer
  ) throws {
    let cols = try checked(split, range)
    if let images {
      try cols.images.read(
        into: images, as: UInt8.self, start: [range.lowerBound, 0, 0, 0], count: [range.count] + imageShape)
    }
    try cols.steering.read(into: steering, as: Float.self, start: [range.lowerBound], count: [range.count])
  }

  /// Re-reads every sample and compares with the checksums the writer committed: detects data lost
  /// or damaged after the store was written. Reads the whole store.
  public func verify() throws {
    for split in splits {
      guard let cols = columns[split], let count = counts[split], let stored = checksums[split] else {
        continue
      }
      let recomputed = try SplitChecksums.recompute(
        cols, count: count, imageShape: imageShape, chunk: chunkImages)
      guard recomputed == stored else {
        throw H5StoreError.corrupt(path: path, detail: "split \(split) does not match its checksums")
      }
    }
  }

  /// The checksum of each column of `split` (images, steering, recording, row, camera, flipped):
  /// equal values mean equal contents, whatever batches wrote them.
  public func checksums(of split: String) throws -> [UInt64] {
    guard let sums = checksums[split] else { throw unknownSplit(split) }
    return sums.values
  }

  /// Closes the file now rather than when the last reference goes away.
  public func close() throws { try file.close() }

  private func checked(_ split: String, _ range: Range<Int>) throws -> SplitColumns {
    guard let cols = columns[split], let count = counts[split] else { throw unknownSplit(split) }
    guard range.lowerBound >= 0, range.upperBound <= count else {
      throw H5StoreError.invalidArgument(
        "samples \(range) are outside split '\(split)' of \(count) in \(path)")
    }
    return cols
  }

  private func unknownSplit(_ split: String) -> H5StoreError {
    .invalidArgument("unknown split '\(split)' in \(path); splits are \(splits)")
  }
}
