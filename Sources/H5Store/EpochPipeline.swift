import Foundation
import TensorCore

/// Names the OS thread (seen in /proc/<pid>/task/*/comm, top -H, gdb); at most 15 bytes on Linux.
/// Foundation's `Thread.name` does not reliably reach the OS thread on Linux, so write it directly.
private func nameCurrentThread(_ name: String) {
  #if os(Linux)
    if let handle = FileHandle(forWritingAtPath: "/proc/thread-self/comm") {
      handle.write(Data(name.prefix(15).utf8))
      try? handle.close()
    }
  #else
    Thread.current.name = name
  #endif
}

/// One chunk as read from the store: images `(n, H, W, C)`, labels and provenance of the same samples.
final class ChunkData: @unchecked Sendable {
  var images: [UInt8]
  var steering: [Float]
  var provenance: [SampleProvenance] = []
  var count = 0

  init(capacity: Int, imageBytes: Int) {
    // Reads overwrite the first `count` samples before anything looks at them: skip zeroing.
    let bytes = capacity * imageBytes
    images = [UInt8](unsafeUninitializedCapacity: bytes) { _, count in count = bytes }
    steering = [Float](repeating: 0, count: capacity)
  }
}

/// The threads and buffers of one epoch. Readers claim chunk positions in the epoch's chunk order,
/// at most `prefetchChunks` ahead of the shuffler; the shuffler consumes positions strictly in order
/// (so the result does not depend on which reader finished first) and queues finished batches.
/// Everything shared is guarded by `condition`.
final class EpochPipeline: @unchecked Sendable {
  private static let ids = NSLockBox()
  nonisolated(unsafe) private static var nextID = 0

  let id: Int
  private let loader: ShuffledLoader
  private let store: SampleStore
  private let split: String
  private let schedule: ShuffleSchedule
  private let epoch: Int
  private let batchSize: Int
  private let imageBytes: Int
  private let chunkOrder: [Int]
  private var rng: SplitMix64  // the shuffler's, continuing after the chunk permutation

  private let condition = NSCondition()
  private let threads = DispatchGroup()
  private var started = false
  /// Threads of this epoch that are running (they decrement just before exiting).
  package private(set) var liveThreads = 0
  private var stopped = false
  private var producerDone = false
  private var failure: Error?
  private var claimed = 0  // chunk positions handed to readers
  private var consumed = 0  // chunk positions the shuffler took as pages
  private var allocatedChunks = 0
  private var ready: [Int: ChunkData] = [:]
  private var spareChunks: [ChunkData] = []
  private var batches: [SampleBatch] = []
  private var stats = LoaderStatistics()
  private var startTime: DispatchTime?
  private var recorded = false
  private var queuedBytes = 0

  init(loader: ShuffledLoader, epoch: Int, batchSize: Int) {
    id = Self.ids.withLock {
      Self.nextID += 1
      return Self.nextID
    }
    self.loader = loader
    store = loader.store
    split = loader.split
    schedule = loader.schedule
    self.epoch = epoch
    self.batchSize = batchSize
    imageBytes = loader.store.imageBytes
    var rng = schedule.generator(seed: loader.seed, epoch: epoch)
    chunkOrder = rng.permutation(schedule.chunkCount)
    self.rng = rng
  }

  /// Thread names carry the epoch's id, so tests can see that none outlive it.
  var threadNamePrefix: String { "h5l\(id)-" }

  func start() {
    condition.lock()
    started = true
    condition.unlock()
    for index in 0..<loader.readerThreads {
      spawn("\(threadNamePrefix)r\(index)") { [self] in readLoop() }
    }
    spawn("\(threadNamePrefix)s") { [self] in shuffleLoop() }
  }

  private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
    threads.enter()
    condition.lock()
    liveThreads += 1
    condition.unlock()
    let thread = Thread { [self] in
      nameCurrentThread(name)
      body()
      condition.lock()
      liveThreads -= 1
      condition.unlock()
      threads.leave()
    }
    thread.start()
  }

  // MARK: readers

  private func readLoop() {
    while true {
      condition.lock()
      while !stopped && failure == nil && claimed < chunkOrder.count
        && claimed >= consumed + loader.prefetchChunks
      {
        condition.wait()
      }
      if stopped || failure != nil || claimed >= chunkOrder.count {
        condition.unlock()
        return
      }
      let position = claimed
      claimed += 1
      let chunk: ChunkData
      if let spare = spareChunks.popLast() {
        chunk = spare
      } else {
        chunk = ChunkData(capacity: schedule.chunkImages, imageBytes: imageBytes)
        allocatedChunks += 1
      }
      condition.unlock()

      let range = schedule.chunkRange(chunkOrder[position])
      let begin = DispatchTime.now()
      do {
        chunk.count = range.count
        try chunk.images.withUnsafeMutableBytes { images in
          try chunk.steering.withUnsafeMutableBytes { steering in
            try store.read(split, range: range, images: images, steering: steering)
          }
        }
        chunk.provenance = try store.provenance(of: split, range: range)
      } catch {
        condition.lock()
        failure = failure ?? error
        condition.broadcast()
        condition.unlock()
        return
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
      condition.lock()
      ready[position] = chunk
      stats.readSeconds += seconds
      noteMemoryLocked()
      condition.broadcast()
      condition.unlock()
    }
  }

  // MARK: shuffler

  /// The batch being filled: images preallocated for a whole batch, filled by memcpy.
  private struct Batch {
    var images: [UInt8]
    var steering: [Float] = []
    var provenance: [SampleProvenance] = []

    init(bytes: Int) {
      // Every byte is overwritten before the batch leaves (a short last batch is truncated).
      images = [UInt8](unsafeUninitializedCapacity: bytes) { _, count in count = bytes }
    }
  }

  private func shuffleLoop() {
    let imageBytes = imageBytes
    let batchBytes = batchSize * imageBytes
    var pageData = [ChunkData?](repeating: nil, count: schedule.pages)
    var batch = Batch(bytes: batchBytes)

    func push() -> Bool {
      var images = batch.images
      if batch.steering.count < batchSize {
        images.removeLast(batchBytes - batch.steering.count * imageBytes)
      }
      let finished = SampleBatch(
        images: images, steering: batch.steering, provenance: batch.provenance, height: store.imageShape[0],
        width: store.imageShape[1], channels: store.imageShape[2])
      batch = Batch(bytes: batchBytes)
      condition.lock()
      defer { condition.unlock() }
      while !stopped && batches.count >= loader.prefetchBatches { condition.wait() }
      if stopped { return false }
      batches.append(finished)
      queuedBytes += finished.images.count + finished.count * (4 + MemoryLayout<SampleProvenance>.stride)
      noteMemoryLocked()
      condition.broadcast()
      return true
    }

    let completed = schedule.drive(
      &rng,
      load: { page, position in
        // Waits for the chunk at `position` and makes it `page` (no copy).
        condition.lock()
        defer { condition.unlock() }
        while !stopped && failure == nil && ready[position] == nil { condition.wait() }
        guard !stopped, failure == nil, let chunk = ready.removeValue(forKey: position) else { return nil }
        consumed += 1
        condition.broadcast()
        pageData[page] = chunk
        return chunk.count
      },
      emit: { page, index, pageNowEmpty in
        let chunk = pageData[page]!
        let slot = batch.steering.count
        batch.images.withUnsafeMutableBytes { target in
          chunk.images.withUnsafeBytes { source in
            target.baseAddress!.advanced(by: slot * imageBytes).copyMemory(
              from: source.baseAddress!.advanced(by: index * imageBytes), byteCount: imageBytes)
          }
        }
        batch.steering.append(chunk.steering[index])
        batch.provenance.append(chunk.provenance[index])
        if pageNowEmpty {
          pageData[page] = nil
          condition.lock()
          spareChunks.append(chunk)
          condition.broadcast()
          condition.unlock()
        }
        return batch.steering.count < batchSize || push()
      })
    if completed && !batch.steering.isEmpty { _ = push() }
    finishProducing()
  }

  private func finishProducing() {
    condition.lock()
    producerDone = true
    condition.broadcast()
    condition.unlock()
  }

  /// Memory held right now; call with the lock held.
  private func noteMemoryLocked() {
    let sampleBytes = imageBytes + 4 + MemoryLayout<SampleProvenance>.stride
    let chunkBytes = allocatedChunks * schedule.chunkImages * sampleBytes
    let assembling = batchSize * sampleBytes
    stats.peakBufferedBytes = max(stats.peakBufferedBytes, chunkBytes + queuedBytes + assembling)
  }

  // MARK: consumer

  func next() throws -> SampleBatch? {
    condition.lock()
    let begin = DispatchTime.now()
    if startTime == nil { startTime = begin }
    while batches.isEmpty && !producerDone && !stopped && failure == nil { condition.wait() }
    let waited = Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
    stats.consumerWaitSeconds += waited
    stats.longestWaitSeconds = max(stats.longestWaitSeconds, waited)
    if let failure {
      condition.unlock()
      stop()
      throw failure
    }
    if !batches.isEmpty {
      let batch = batches.removeFirst()
      queuedBytes -= batch.images.count + batch.count * (4 + MemoryLayout<SampleProvenance>.stride)
      stats.batches += 1
      stats.samples += batch.count
      condition.broadcast()
      condition.unlock()
      return batch
    }
    condition.unlock()
    stop()
    return nil
  }

  /// Stops every thread, waits for them, frees the buffers, records the statistics. Idempotent.
  func stop() {
    condition.lock()
    stopped = true
    condition.broadcast()
    let wasStarted = started
    condition.unlock()
    if wasStarted { threads.wait() }
    condition.lock()
    ready = [:]
    spareChunks = []
    batches = []
    queuedBytes = 0
    if let startTime {
      stats.elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1e9
    }
    let record = !recorded
    recorded = true
    let final = stats
    condition.unlock()
    if record { loader.record(final) }
  }

  var liveThreadCountLocked: Int {
    condition.lock()
    defer { condition.unlock() }
    return liveThreads
  }

  var statistics: LoaderStatistics {
    condition.lock()
    defer { condition.unlock() }
    var current = stats
    if let startTime, !recorded {
      current.elapsedSeconds =
        Double(DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1e9
    }
    return current
  }
}
