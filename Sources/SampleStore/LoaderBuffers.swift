import HDF5
import TensorCore

/// One chunk as the shuffle holds it: labels and provenance, and its images unless they are read
/// straight from the file (`DirectImageFile`). Reused for chunk after chunk, epoch after epoch.
final class ChunkData: @unchecked Sendable {
  /// `(chunkImages, H, W, C)`; empty when images are read directly from the file.
  var images: [UInt8]
  var steering: [Float]
  var provenance: [SampleProvenance] = []
  /// The store chunk held, and its sample count (the last chunk may be short).
  var chunk = 0
  var count = 0
  /// Planned samples not yet copied into a batch, and whether the chunk is still a shuffle page:
  /// the buffer is free again only when both are over. Guarded by the pipeline's lock.
  var pendingCopies = 0
  var isPage = false

  init(capacity: Int, imageBytes: Int) {
    // Reads overwrite the first `count` samples before anything looks at them: skip zeroing.
    // No images (direct reads): `[]`, as the uninitialized initializer with capacity 0 writes the
    // count into the shared empty-array storage, a write that races with every other thread's.
    let bytes = capacity * imageBytes
    images = bytes == 0 ? [] : [UInt8](unsafeUninitializedCapacity: bytes) { _, count in count = bytes }
    steering = [Float](repeating: 0, count: capacity)
    provenance.reserveCapacity(capacity)
  }

  /// What one buffer of `capacity` samples costs (images, labels, provenance).
  static func bytes(capacity: Int, imageBytes: Int) -> Int {
    capacity * (imageBytes + MemoryLayout<Float>.stride + MemoryLayout<SampleProvenance>.stride)
  }
}

/// Chunk buffers a loader keeps from one finished epoch for the next, so later epochs neither
/// allocate nor page-fault them again (the first touch of fresh memory costs as much as a copy).
/// Holds at most `limit` buffers, the most one epoch uses.
final class ChunkPool: @unchecked Sendable {
  let limit: Int
  private let lock = Lock()
  private var spare: [ChunkData] = []

  init(limit: Int) {
    self.limit = limit
  }

  func take() -> ChunkData? { lock.withLock { spare.popLast() } }

  func giveBack(_ chunks: [ChunkData]) {
    lock.withLock {
      for chunk in chunks where spare.count < limit {
        chunk.isPage = false
        chunk.pendingCopies = 0
        spare.append(chunk)
      }
    }
  }

  func removeAll() { lock.withLock { spare.removeAll() } }

  var count: Int { lock.withLock { spare.count } }
}

/// Which samples make up one batch, in order: the planner decides, an assembler copies.
struct BatchPlan {
  var sequence: Int
  var chunks: [ChunkData] = []
  var indices: [Int] = []
  /// Pages whose last sample is in this plan: they stop being pages when it is submitted.
  var emptied: [ChunkData] = []

  init(sequence: Int, capacity: Int) {
    self.sequence = sequence
    chunks.reserveCapacity(capacity)
    indices.reserveCapacity(capacity)
  }

  var count: Int { indices.count }
}

/// The image arrays of the latest batches, written again once their consumer is done with them, so
/// steady streaming neither allocates nor page-faults batch memory (fresh memory costs the kernel a
/// page fault and a zeroing pass per 4 KB, as much as the copy itself). An array is taken again only
/// when `depth` - 1 newer ones exist (kept, or being filled), more than can be waiting for the
/// consumer, so a consumer that works batch by batch has dropped it; at most `depth` arrays exist.
/// A consumer that keeps batches loses nothing: copy-on-write gives the writer a fresh array and the
/// kept batch stays as it was (counted as `batchArraysCopied`).
final class BatchArrayPool: @unchecked Sendable {
  let depth: Int
  private let lock = Lock()
  private var recent: [[UInt8]] = []
  private var filling = 0

  init(depth: Int) {
    self.depth = depth
  }

  /// Called once before filling each full batch: the oldest array when old enough and of `bytes`
  /// bytes, else nil (allocate one; it joins the pool when kept).
  func take(bytes: Int) -> [UInt8]? {
    lock.withLock {
      defer { filling += 1 }
      guard recent.count + filling >= depth else { return nil }
      let oldest = recent.removeFirst()
      return oldest.count == bytes ? oldest : nil
    }
  }

  /// Keeps `images` (shared with the batch just handed out) for a later batch.
  func keep(_ images: [UInt8]) {
    lock.withLock {
      filling = max(0, filling - 1)
      recent.append(images)
      if recent.count > depth { recent.removeFirst() }
    }
  }

  func removeAll() {
    lock.withLock {
      recent.removeAll()
      filling = 0
    }
  }

  /// Bytes of the arrays kept.
  var bytes: Int { lock.withLock { recent.reduce(0) { $0 + $1.count } } }
}
