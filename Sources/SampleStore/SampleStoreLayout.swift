import HDF5
import TensorCore

/// What produced a sample store: stored as root attributes, compared when a writer decides whether
/// an existing file can be resumed.
public struct SampleStoreMetadata: Sendable, Equatable {
  /// The preprocessing that produced the images (resize, crop, flips...), as JSON.
  public var preprocessingJSON: String
  /// The seed the preparation used (split, shuffle).
  public var seed: UInt64
  /// Identifies the source recordings (e.g. a hash of CSV paths, sizes and dates): a different
  /// fingerprint means the store is stale and is rebuilt.
  public var sourceFingerprint: String

  public init(preprocessingJSON: String, seed: UInt64, sourceFingerprint: String) {
    self.preprocessingJSON = preprocessingJSON
    self.seed = seed
    self.sourceFingerprint = sourceFingerprint
  }
}

/// Names and numbers of the on-disk layout (see docs in README "H5Store"):
///
///     /                     attrs: format, format_version, preprocessing, seed, source_fingerprint,
///                                  image_shape (int32 [H, W, C]), chunk_images, splits, complete
///     /<split>/images       uint8   (N, H, W, C), chunks (chunk_images, H, W, C), extendable in N
///     /<split>/steering     float32 (N)
///     /<split>/recording    int32   (N)   provenance: recording index (-1 unknown)
///     /<split>/row          int32   (N)   provenance: CSV data row (-1 unknown)
///     /<split>/camera       uint8   (N)   0 centre, 1 left, 2 right
///     /<split>/flipped      uint8   (N)   1 when mirrored (steering negated)
///     /<split>              attrs: count (int64, samples durably stored), checksum_state (uint64 x 24)
package enum SampleStoreLayout {
  package static let formatName = "BehavioralCloning.SampleStore"
  package static let formatVersion: Int32 = 1
  package static let columns = ["images", "steering", "recording", "row", "camera", "flipped"]

  package enum RootAttribute {
    static let format = "format"
    static let version = "format_version"
    static let preprocessing = "preprocessing"
    static let seed = "seed"
    static let fingerprint = "source_fingerprint"
    static let imageShape = "image_shape"
    static let chunkImages = "chunk_images"
    static let deflate = "deflate"
    static let splits = "splits"
    static let complete = "complete"
  }

  package enum SplitAttribute {
    static let count = "count"
    static let checksumState = "checksum_state"
  }
}

/// The six columns of one split, opened or created together.
package struct SplitColumns: @unchecked Sendable {
  package var images: H5Dataset
  package var steering: H5Dataset
  package var recording: H5Dataset
  package var row: H5Dataset
  package var camera: H5Dataset
  package var flipped: H5Dataset

  package var all: [H5Dataset] { [images, steering, recording, row, camera, flipped] }

  package static func open(_ group: H5Group) throws -> SplitColumns {
    SplitColumns(
      images: try group.dataset("images"), steering: try group.dataset("steering"),
      recording: try group.dataset("recording"), row: try group.dataset("row"),
      camera: try group.dataset("camera"), flipped: try group.dataset("flipped"))
  }

  package static func create(_ group: H5Group, imageShape: [Int], chunkImages: Int, deflate: Int?) throws
    -> SplitColumns
  {
    func column<T: H5Element>(_ name: String, _ type: T.Type) throws -> H5Dataset {
      try group.createDataset(
        name, of: type, shape: [0], maxShape: [nil], chunks: [chunkImages], deflate: deflate)
    }
    return SplitColumns(
      images: try group.createDataset(
        "images", of: UInt8.self, shape: [0] + imageShape, maxShape: [nil] + imageShape.map { $0 },
        chunks: [chunkImages] + imageShape, deflate: deflate),
      steering: try column("steering", Float.self), recording: try column("recording", Int32.self),
      row: try column("row", Int32.self), camera: try column("camera", UInt8.self),
      flipped: try column("flipped", UInt8.self))
  }

  /// Sets every column's length to `count` samples.
  package func resize(to count: Int, imageShape: [Int]) throws {
    try images.extend(to: [count] + imageShape)
    for column in all.dropFirst() { try column.extend(to: [count]) }
  }

  /// Writes `batch` at sample offset `start` (the columns must already be long enough).
  package func write(_ batch: SampleBatch, at start: Int, imageShape: [Int]) throws {
    try write(batch, provenance: ProvenanceColumns(batch), at: start, imageShape: imageShape)
  }

  package func write(
    _ batch: SampleBatch, provenance columns: ProvenanceColumns, at start: Int, imageShape: [Int]
  ) throws {
    try write(
      images: batch.images, steering: batch.labels, provenance: columns, at: start, imageShape: imageShape)
  }
}

/// Provenance split into the stored columns; a batch without provenance stores "unknown" (-1).
package struct ProvenanceColumns {
  package var recording: [Int32]
  package var row: [Int32]
  package var camera: [UInt8]
  package var flipped: [UInt8]

  package init(recording: [Int32], row: [Int32], camera: [UInt8], flipped: [UInt8]) {
    self.recording = recording
    self.row = row
    self.camera = camera
    self.flipped = flipped
  }

  package init(_ batch: SampleBatch) {
    if batch.provenance.isEmpty {
      recording = Array(repeating: -1, count: batch.count)
      row = Array(repeating: -1, count: batch.count)
      camera = Array(repeating: 0, count: batch.count)
      flipped = Array(repeating: 0, count: batch.count)
    } else {
      recording = batch.provenance.map(\.recording)
      row = batch.provenance.map(\.row)
      camera = batch.provenance.map(\.view)
      flipped = batch.provenance.map { $0.flipped ? 1 : 0 }
    }
  }

  package func provenance() throws -> [SampleProvenance] {
    try (0..<recording.count).map { index in
      // The format's camera column holds 0 (centre), 1 (left) or 2 (right): docs/h5store.md.
      guard camera[index] <= 2 else {
        throw H5StoreError.invalidArgument("stored camera value \(camera[index]) is not 0, 1 or 2")
      }
      return SampleProvenance(
        recording: recording[index], row: row[index], view: camera[index], flipped: flipped[index] != 0)
    }
  }
}
