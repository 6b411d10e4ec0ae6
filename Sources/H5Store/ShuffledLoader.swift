import TensorCore

/// A `BatchSource` over one split of a `SampleStore`: reader threads prefetch whole chunks (in a
/// random chunk order), a shuffler thread keeps `shuffleBufferChunks` of them as pages and draws
/// random samples from all pages into batches. Image, label and provenance of a sample are copied
/// together from one chunk read into one batch slot, so pairing cannot break, whatever the number
/// of readers. Each image is copied once after the read: page -> batch.
///
/// The order of an epoch is a function of (seed, epoch) only (see `ShuffleSchedule`), and memory is
/// bounded by `memoryBoundBytes` whatever the size of the store.
public final class ShuffledLoader: BatchSource, @unchecked Sendable {
  public let store: SampleStore
  public let split: String
  public let seed: UInt64
  public let readerThreads: Int
  public let prefetchChunks: Int
  public let prefetchBatches: Int
  package let schedule: ShuffleSchedule
  private let statisticsLock = NSLockBox()
  private var totals = LoaderStatistics()

  /// - shuffleBufferChunks: the shuffle buffer holds this many chunks (pages); more mixes better and
  ///   costs memory (16 chunks of 256 128x128x3 images = 200 MB). Consecutive samples share a
  ///   chunk about 1 / shuffleBufferChunks of the time (see ShuffleQuality).
  /// - prefetchChunks: chunks read ahead of the shuffler.
  /// - readerThreads: threads reading chunks (HDF5 calls themselves are serialized).
  /// - prefetchBatches: finished batches waiting for the consumer.
  public init(
    store: SampleStore, split: String, seed: UInt64, shuffleBufferChunks: Int = 16, prefetchChunks: Int = 4,
    readerThreads: Int = 2, prefetchBatches: Int = 2
  ) throws {
    guard shuffleBufferChunks >= 1, prefetchChunks >= 1, readerThreads >= 1, prefetchBatches >= 1 else {
      throw H5StoreError.invalidArgument("loader buffer, prefetch and thread counts must be at least 1")
    }
    self.store = store
    self.split = split
    self.seed = seed
    self.readerThreads = readerThreads
    self.prefetchChunks = prefetchChunks
    self.prefetchBatches = prefetchBatches
    schedule = ShuffleSchedule(
      sampleCount: try store.count(of: split), chunkImages: store.chunkImages, pages: shuffleBufferChunks)
  }

  public var sampleCount: Int { schedule.sampleCount }
  public var sampleShape: [Int] { store.imageShape }

  /// Bytes one sample occupies in the loader's buffers (image, label, provenance).
  package var sampleBytes: Int {
    store.imageBytes + MemoryLayout<Float>.stride + MemoryLayout<SampleProvenance>.stride
  }

  /// The most buffer memory an epoch with `batchSize` holds: the shuffle pages, the prefetched
  /// chunks, the queued batches plus the one being filled and the one the consumer holds.
  public func memoryBoundBytes(batchSize: Int) -> Int {
    (schedule.capacity + prefetchChunks * schedule.chunkImages + (prefetchBatches + 2) * batchSize)
      * sampleBytes
  }

  /// The sample indices of `epoch` in delivery order, computed without reading the store.
  public func epochOrder(_ epoch: Int) -> [Int] { schedule.epochOrder(seed: seed, epoch: epoch) }

  public func makeEpoch(_ epoch: Int, batchSize: Int) throws -> any BatchStream {
    try makeLoaderEpoch(epoch, batchSize: batchSize)
  }

  /// `makeEpoch` with the concrete type (statistics, memory peak).
  public func makeLoaderEpoch(_ epoch: Int, batchSize: Int) throws -> LoaderEpoch {
    guard batchSize > 0 else { throw H5StoreError.invalidArgument("batch size must be positive") }
    let pipeline = EpochPipeline(loader: self, epoch: epoch, batchSize: batchSize)
    pipeline.start()
    return LoaderEpoch(pipeline: pipeline)
  }

  /// Every finished or cancelled epoch's statistics added up.
  public var statistics: LoaderStatistics {
    statisticsLock.withLock { totals }
  }

  package func record(_ epoch: LoaderStatistics) {
    statisticsLock.withLock { totals.accumulate(epoch) }
  }
}

/// One epoch of a `ShuffledLoader`. Dropping it, or `cancel()`, stops and joins its threads and
/// frees its buffers.
public final class LoaderEpoch: BatchStream, @unchecked Sendable {
  private let pipeline: EpochPipeline

  init(pipeline: EpochPipeline) {
    self.pipeline = pipeline
  }

  deinit { pipeline.stop() }

  public func next() throws -> SampleBatch? { try pipeline.next() }

  public func cancel() { pipeline.stop() }

  /// The name prefix of this epoch's threads (`h5l<id>-`), to check from outside that none is left.
  public var pipelineThreadPrefix: String { pipeline.threadNamePrefix }

  /// Threads of this epoch still running.
  package var liveThreadCount: Int { pipeline.liveThreadCountLocked }

  /// This epoch's numbers so far.
  public var statistics: LoaderStatistics { pipeline.statistics }
}
