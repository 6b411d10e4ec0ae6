import Foundation
import HDF5
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

/// The threads and buffers of one epoch (the work itself is in EpochPipelineWorkers.swift):
///
/// - readers claim chunk positions in the epoch's chunk order, at most `prefetchChunks` ahead of the
///   planner, and fill a chunk buffer (labels, provenance; images unless read directly);
/// - the planner takes positions strictly in order as shuffle pages (so the order depends on
///   nothing but (seed, epoch)) and cuts the sample order into `BatchPlan`s;
/// - assemblers copy each plan's samples into one batch, several batches at once;
/// - the consumer takes batches in plan order.
///
/// A chunk buffer is free again once it stopped being a page and every planned copy from it is
/// done. Everything shared is guarded by `monitor`; each change wakes only the threads it concerns.
final class EpochPipeline: @unchecked Sendable {
  private static let ids = Lock()
  nonisolated(unsafe) private static var nextID = 0

  let id: Int
  let loader: ShuffledLoader
  let store: SampleStore
  let split: String
  let schedule: ShuffleSchedule
  /// Samples per global batch, and this shard's share of a full one (equal without sharding).
  let globalBatch: Int
  let batchSize: Int
  let shard: (index: Int, count: Int)
  let imageBytes: Int
  let direct: DirectImageFile?
  let chunkOrder: [Int]
  var rng: SplitMix64  // the planner's, continuing after the chunk permutation
  /// Chunk buffers the epoch may hold at once (shuffle pages + prefetched chunks), and one's size.
  let chunkLimit: Int
  let chunkBytes: Int

  let monitor = Monitor.pipeline()
  private let threads = DispatchGroup()
  private var started = false
  /// Threads of this epoch that are running (they decrement just before exiting).
  private var liveThreads = 0
  var stopped = false
  var failure: Error?
  // Readers -> planner.
  var claimed = 0  // chunk positions handed to readers
  var consumed = 0  // chunk positions the planner took as pages
  var heldChunks = 0  // chunk buffers this epoch holds, in use or spare
  var ready: [Int: ChunkData] = [:]
  var spareChunks: [ChunkData] = []
  // Planner -> assemblers -> consumer.
  var plans: [BatchPlan] = []
  var planned = 0
  var planningDone = false
  var finished: [Int: SampleBatch] = [:]
  var delivered = 0
  var batchBytesHeld = 0  // batches being assembled (kept ones are counted by the loader's pool)
  private var completed = false
  var stats = LoaderStatistics()
  private var startTime: DispatchTime?
  private var recorded = false

  init(loader: ShuffledLoader, epoch: Int, batchSize: Int, shard: (index: Int, count: Int) = (0, 1)) {
    id = Self.ids.withLock {
      Self.nextID += 1
      return Self.nextID
    }
    self.loader = loader
    store = loader.store
    split = loader.split
    schedule = loader.schedule
    globalBatch = batchSize
    self.shard = shard
    self.batchSize = sliceRange(count: batchSize, parts: shard.count, index: shard.index).count
    imageBytes = loader.store.imageBytes
    direct = loader.direct
    chunkLimit = loader.chunkBufferLimit
    chunkBytes = loader.chunkBufferBytes
    var rng = schedule.generator(seed: loader.seed, epoch: epoch)
    chunkOrder = rng.permutation(schedule.chunkCount)
    self.rng = rng
  }

  /// Thread names carry the epoch's id, so tests can see that none outlive it.
  var threadNamePrefix: String { "h5l\(id)-" }

  func start() {
    monitor.withLock { started = true }
    for index in 0..<loader.readerThreads {
      spawn("\(threadNamePrefix)r\(index)") { [self] in readLoop() }
    }
    spawn("\(threadNamePrefix)p") { [self] in planLoop() }
    for index in 0..<loader.assemblerThreads {
      spawn("\(threadNamePrefix)a\(index)") { [self] in assembleLoop() }
    }
  }

  private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
    threads.enter()
    monitor.withLock { liveThreads += 1 }
    let thread = Thread { [self] in
      nameCurrentThread(name)
      body()
      monitor.withLock { liveThreads -= 1 }
      threads.leave()
    }
    thread.start()
  }

  /// Records a worker's error (the first one wins) and wakes everyone to stop.
  func fail(_ error: Error) {
    monitor.withLock {
      failure = failure ?? error
      monitor.wakeAll()
    }
  }

  /// Memory held right now; call with the lock held.
  func noteMemoryLocked() {
    let held = heldChunks * chunkBytes + batchBytesHeld + loader.batchPool.bytes
    stats.peakBufferedBytes = max(stats.peakBufferedBytes, held)
  }

  /// What a batch of `count` samples holds (image, label, provenance).
  func batchBytes(_ count: Int) -> Int {
    count * (imageBytes + MemoryLayout<Float>.stride + MemoryLayout<SampleProvenance>.stride)
  }

  // MARK: consumer

  func next() throws -> SampleBatch? {
    monitor.lock()
    let begin = DispatchTime.now()
    if startTime == nil { startTime = begin }
    while finished[delivered] == nil && !(planningDone && delivered == planned) && !stopped && failure == nil
    {
      monitor.wait(.consumer)
    }
    let waited = Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
    stats.consumerWaitSeconds += waited
    stats.longestWaitSeconds = max(stats.longestWaitSeconds, waited)
    if let failure {
      monitor.unlock()
      stop()
      throw failure
    }
    if let batch = finished.removeValue(forKey: delivered) {
      delivered += 1
      stats.batches += 1
      stats.samples += batch.count
      monitor.wake(.planner)  // room for another batch
      monitor.unlock()
      return batch
    }
    completed = !stopped
    monitor.unlock()
    stop()
    return nil
  }

  /// Stops every thread and waits for them, records the statistics. Idempotent. A finished epoch
  /// hands its chunk buffers to the loader for the next; one stopped early frees them, and the
  /// loader's spare ones too.
  func stop() {
    monitor.lock()
    stopped = true
    monitor.wakeAll()
    let wasStarted = started
    monitor.unlock()
    if wasStarted { threads.wait() }
    monitor.lock()
    let finishedNormally = completed
    let reuse = completed ? spareChunks : []
    ready = [:]
    spareChunks = []
    plans = []
    finished = [:]
    heldChunks = 0
    batchBytesHeld = 0
    if let startTime {
      stats.elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1e9
    }
    let first = !recorded
    recorded = true
    let final = stats
    monitor.unlock()
    guard first else { return }
    if finishedNormally {
      loader.chunkPool.giveBack(reuse)
    } else {
      loader.chunkPool.removeAll()
      loader.batchPool.removeAll()
    }
    loader.record(final)
  }

  var liveThreadCountLocked: Int { monitor.withLock { liveThreads } }

  var statistics: LoaderStatistics {
    monitor.lock()
    defer { monitor.unlock() }
    var current = stats
    if let startTime, !recorded {
      current.elapsedSeconds =
        Double(DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1e9
    }
    return current
  }
}
