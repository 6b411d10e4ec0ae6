// The vocabulary that data producers (DrivingData, SampleStore) and consumers (ConvNet's trainer)
// share. It lives at the bottom of the graph so those modules compose without importing each other,
// and it is generic: what a label or a view means is the producer's business.

/// Where a stored training image came from, so any sample can be traced back to its source.
public struct SampleProvenance: Sendable, Hashable, Codable {
  /// Index of the recording in the preparation's recording list.
  public var recording: Int32
  /// Zero-based data row inside that recording.
  public var row: Int32
  /// Which of the row's images this is (the producer numbers them; 0 when there is one).
  public var view: UInt8
  /// Mirrored left to right.
  public var flipped: Bool

  public init(recording: Int32, row: Int32, view: UInt8, flipped: Bool) {
    self.recording = recording
    self.row = row
    self.view = view
    self.flipped = flipped
  }
}

/// A batch of preprocessed uint8 images with one regression label each.
/// `images` is `(count, height, width, channels)` row-major (NHWC).
public struct SampleBatch: Sendable {
  public var images: [UInt8]
  /// `(count)`: the target the network learns for each image.
  public var labels: [Float]
  public var provenance: [SampleProvenance]
  public var height: Int
  public var width: Int
  public var channels: Int

  public var count: Int { labels.count }

  public init(
    images: [UInt8], labels: [Float], provenance: [SampleProvenance],
    height: Int, width: Int, channels: Int
  ) {
    precondition(images.count == labels.count * height * width * channels, "images/labels mismatch")
    precondition(provenance.isEmpty || provenance.count == labels.count, "provenance/labels mismatch")
    self.images = images
    self.labels = labels
    self.provenance = provenance
    self.height = height
    self.width = width
    self.channels = channels
  }
}

/// Where a preparation pipeline writes samples (H5Store's sample store is one).
public protocol SampleSink: AnyObject {
  /// How many samples of `split` are already durably stored; a resumed preparation skips them.
  func resumePoint(for split: String) throws -> Int
  /// Appends `batch` to `split`. Images and labels of one sample always travel together.
  func append(_ batch: SampleBatch, to split: String) throws
  /// Marks the whole store complete. Until this returns, readers must treat it as unfinished.
  func finish() throws
}

/// A stream of batches for one epoch. `next()` returns nil at the end of the epoch.
public protocol BatchStream: AnyObject {
  func next() throws -> SampleBatch?
  /// Ends the epoch early and releases every resource (threads, buffers, file handles).
  func cancel()
}

/// Anything the trainer can learn from: the HDF5 loader, an in-memory array, a generator.
public protocol BatchSource: AnyObject {
  /// Samples in one epoch.
  var sampleCount: Int { get }
  /// `(height, width, channels)` of every image.
  var sampleShape: [Int] { get }
  /// Batches of one epoch; the order is a function of (source seed, `epoch`) only.
  func makeEpoch(_ epoch: Int, batchSize: Int) throws -> any BatchStream
}

/// A source that can read only one data-parallel rank's share of each batch, so that across the
/// ranks every sample is read once (the HDF5 loader).
public protocol ShardedBatchSource: BatchSource {
  /// The batches `makeEpoch(epoch, batchSize:)` would deliver, each cut down to share `shard.index`
  /// of `shard.count` (the contiguous `sliceRange` of its samples); an empty batch when that share
  /// is empty, so every rank gets one batch per global batch.
  func makeEpoch(_ epoch: Int, batchSize: Int, shard: (index: Int, count: Int)) throws -> any BatchStream
}
