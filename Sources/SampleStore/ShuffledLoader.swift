import HDF5
import TensorCore

/// A `BatchSource` over one split of a `SampleStore`: reader threads prefetch whole chunks (in a
/// random chunk order), a planner keeps `shuffleBufferChunks` of them as pages and draws random
/// samples from all pages into batch plans, assembler threads fill the batches. Image, label and
/// provenance of a sample are copied together from one chunk slot into one batch slot, so pairing
/// cannot break, whatever the number of threads.
///
/// With direct reads (uncompressed stores, the default) each image is copied once, from the
/// kernel's page cache into its batch slot (`DirectImageFile`); through HDF5 twice, into a chunk
/// buffer and then into the batch. Chunk buffers and batch arrays are reused from batch to batch
/// and epoch to epoch.
///
/// The order of an epoch is a function of (seed, epoch) only (see `ShuffleSchedule`), and memory is
/// bounded by `memoryBoundBytes` whatever the size of the store.
public final class ShuffledLoader: ShardedBatchSource, @unchecked Sendable {
  public let store: SampleStore
  public let split: String
  public let seed: UInt64
  public let readerThreads: Int
  public let assemblerThreads: Int
  public let prefetchChunks: Int
  public let prefetchBatches: Int
  package let schedule: ShuffleSchedule
  /// Set when images are read straight from the file; nil: through HDF5 into chunk buffers.
  let direct: DirectImageFile?
  let chunkPool: ChunkPool
  let batchPool: BatchArrayPool
  private let statisticsLock = Lock()
  private var totals = LoaderStatistics()

  /// - shuffleBufferChunks: the shuffle buffer holds this many chunks (pages); more mixes better and
  ///   costs memory (16 chunks of 256 128x128x3 images = 200 MB when images are buffered).
  ///   Consecutive samples share a chunk about 1 / shuffleBufferChunks of the time (ShuffleQuality).
  /// - prefetchChunks: chunks read ahead of the planner.
  /// - readerThreads: threads reading chunks (HDF5 calls themselves are serialized).
  /// - assemblerThreads: threads copying samples into batches (several batches fill at once).
  /// - prefetchBatches: finished batches waiting for the consumer.
  /// - directReads: read the images of an uncompressed store with pread(2) instead of through HDF5
  ///   (the same bytes, one copy fewer); stores it cannot vouch for are read through HDF5 anyway.
  public init(
    store: SampleStore, split: String, seed: UInt64, shuffleBufferChunks: Int = 16, prefetchChunks: Int = 4,
    readerThreads: Int = 2, assemblerThreads: Int = 2, prefetchBatches: Int = 2, directReads: Bool = true
  ) throws {
    guard shuffleBufferChunks >= 1, prefetchChunks >= 1, readerThreads >= 1, assemblerThreads >= 1,
      prefetchBatches >= 1
    else {
      throw H5StoreError.invalidArgument("loader buffer, prefetch and thread counts must be at least 1")
    }
    self.store = store
    self.split = split
    self.seed = seed
    self.readerThreads = readerThreads
    self.assemblerThreads = assemblerThreads
    self.prefetchChunks = prefetchChunks
    self.prefetchBatches = prefetchBatches
    schedule = ShuffleSchedule(
      sampleCount: try store.count(of: split), chunkImages: store.chunkImages, pages: shuffleBufferChunks)
    direct = directReads ? try DirectImageFile.forStore(store, split: split) : nil
    chunkPool = ChunkPool(limit: schedule.pages + prefetchChunks)
    // Older than every batch that can be in flight, plus the consumer's current and previous one.
    batchPool = BatchArrayPool(depth: prefetchBatches + assemblerThreads + 2)
  }

  public var sampleCount: Int { schedule.sampleCount }
  public var sampleShape: [Int] { store.imageShape }

  /// Whether images are read straight from the file (one copy) rather than through HDF5.
  public var readsDirectly: Bool { direct != nil }

  /// Bytes one sample occupies in a batch (image, label, provenance).
  package var sampleBytes: Int {
    store.imageBytes + MemoryLayout<Float>.stride + MemoryLayout<SampleProvenance>.stride
  }

  /// Chunk buffers one epoch holds at most (shuffle pages + prefetched chunks), and one's bytes
  /// (labels and provenance only, when images are read directly).
  var chunkBufferLimit: Int { chunkPool.limit }
  var chunkBufferBytes: Int {
    ChunkData.bytes(capacity: schedule.chunkImages, imageBytes: direct == nil ? store.imageBytes : 0)
  }

  /// The most buffer memory an epoch with `batchSize` holds: the chunk buffers and the batch arrays
  /// (being assembled, queued, held by the consumer or kept for reuse: `prefetchBatches` +
  /// `assemblerThreads` + 2 in all, plus an epoch's short last batch). Between epochs the loader
  /// keeps them for the next epoch.
  public func memoryBoundBytes(batchSize: Int) -> Int {
    chunkBufferLimit * chunkBufferBytes + (batchPool.depth + 1) * batchSize * sampleBytes
  }

  /// Chunk buffers and bytes of batch arrays kept for the next epoch.
  package var pooledChunkBuffers: Int { chunkPool.count }
  package var pooledBatchBytes: Int { batchPool.bytes }

  /// The sample indices of `epoch` in delivery order, computed without reading the store.
  public func epochOrder(_ epoch: Int) -> [Int] { schedule.epochOrder(seed: seed, epoch: epoch) }

  public func makeEpoch(_ epoch: Int, batchSize: Int) throws -> any BatchStream {
    try makeLoaderEpoch(epoch, batchSize: batchSize)
  }

  /// One data-parallel rank's share of every batch: only its samples are read (images included).
  public func makeEpoch(_ epoch: Int, batchSize: Int, shard: (index: Int, count: Int)) throws
    -> any BatchStream
  {
    try makeLoaderEpoch(epoch, batchSize: batchSize, shard: shard)
  }

  /// `makeEpoch` with the concrete type (statistics, memory peak).
  public func makeLoaderEpoch(_ epoch: Int, batchSize: Int, shard: (index: Int, count: Int) = (0, 1)) throws
    -> LoaderEpoch
  {
    guard batchSize > 0 else { throw H5StoreError.invalidArgument("batch size must be positive") }
    guard shard.count >= 1, (0..<shard.count).contains(shard.index) else {
      throw H5StoreError.invalidArgument("shard \(shard.index) of \(shard.count)")
    }
    let pipeline = EpochPipeline(loader: self, epoch: epoch, batchSize: batchSize, shard: shard)
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

/// One epoch of a `ShuffledLoader`. Dropping it, or `cancel()`, stops and joins its threads; an
/// epoch read to its end leaves its buffers to the loader for the next one, an epoch stopped early
/// frees them (and those the loader kept).
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
