// The preparation pipeline: recordings -> decode -> resize -> flip/augment -> SampleSink, on all
// cores, deterministic for a seed whatever the thread count, resumable from the sink's resume point.
import Dispatch
import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Prepares training samples from recordings. Create it (which plans every sample), read
/// `fingerprint` to decide whether an existing store is current, then `run(into:)`.
public final class DataPreparation: Sendable {
  public let recordings: [Recording]
  public let options: PreparationOptions
  public let plan: SamplePlan
  public let reading: RecordingSummary
  public let fingerprint: String

  public static let splits = ["train", "validation"]

  public init(recordings: [Recording], reading: RecordingSummary = .init(), options: PreparationOptions)
    throws
  {
    guard options.width > 0, options.height > 0 else {
      throw DrivingDataError.invalidArgument("output size \(options.width)x\(options.height)")
    }
    guard !options.plan.cameras.isEmpty else { throw DrivingDataError.invalidArgument("no cameras selected") }
    self.recordings = recordings
    self.options = options
    self.reading = reading
    plan = SamplePlanner.plan(
      recordings, options: options.plan, augmentation: options.augmentation, seed: options.seed)
    fingerprint = try PreparationFingerprint.compute(recordings: recordings, options: options)
  }

  /// Reads the recordings under `paths` and plans them.
  public convenience init(data paths: [String], options: PreparationOptions) throws {
    let (recordings, reading) = try RecordingReader.read(paths)
    try self.init(recordings: recordings, reading: reading, options: options)
  }

  /// Histograms of the plan (no decoding needed: augmentation parameters are planned).
  public func histograms() -> (
    recorded: SteeringHistogram, balanced: SteeringHistogram, augmented: SteeringHistogram,
    validation: SteeringHistogram
  ) {
    let recorded = SteeringHistogram(recordings.flatMap { $0.rows.map(\.steering) })
    let balanced = SteeringHistogram(plan.train.lazy.filter { $0.copy == 0 }.map(\.plainSteering))
    let augmented = SteeringHistogram(plan.train.lazy.map(\.steering))
    let validation = SteeringHistogram(plan.validation.lazy.map(\.steering))
    return (recorded, balanced, augmented, validation)
  }

  /// Runs the preparation into `sink`, skipping what `sink.resumePoint` says is stored, then
  /// calls `sink.finish()`. `progress` is called on the calling thread after each batch.
  /// `shard` (index, count) prepares only that contiguous share of each split's rows (whole rows,
  /// so a row's samples stay together): shards 0..<count in order hold exactly the samples of the
  /// whole preparation, in the same order.
  public func run(
    into sink: any SampleSink, threads: Int = DataPreparation.processorCount, rowsPerBatch: Int = 32,
    shard: (index: Int, count: Int) = (0, 1), progress: ((PreparationProgress) -> Void)? = nil
  ) throws -> PreparationSummary {
    guard shard.count >= 1, (0..<shard.count).contains(shard.index) else {
      throw DrivingDataError.invalidArgument("shard \(shard.index) of \(shard.count)")
    }
    let start = monotonicSeconds()
    var summary = PreparationSummary(fingerprint: fingerprint, reading: reading)
    summary.droppedNearZero = plan.droppedNearZero
    (summary.recorded, summary.balanced, summary.augmented, summary.validation) = histograms()
    for split in DataPreparation.splits {
      let resumeAt = try sink.resumePoint(for: split)
      let all = PreparationWorker.groups(plan.samples(split))
      let groups = Array(all[sliceRange(count: all.count, parts: shard.count, index: shard.index)])
      let base = groups.first?.start ?? 0  // planned index of this shard's first sample
      let chunks = stride(from: 0, to: groups.count, by: max(1, rowsPerBatch)).map {
        Array(groups[$0..<min($0 + max(1, rowsPerBatch), groups.count)])
      }
      var stored = 0  // samples that exist (or would) in the sink so far, in plan order
      var rowsDone = 0
      let splitStart = monotonicSeconds()
      let window = max(1, threads) * 2
      var next = 0
      while next < chunks.count {
        let batch = Array(chunks[next..<min(next + window, chunks.count)])
        // A chunk whose planned samples all lie before the resume point only needs checking:
        // planned indices are never below stored ones.
        let results = try process(batch, split: split, checkOnlyBelow: base + resumeAt, threads: threads)
        for (chunk, result) in zip(batch, results) {
          summary.unreadable += result.unreadable
          let produced = result.count
          if stored + produced <= resumeAt {
            stored += produced
          } else {
            let skip = max(0, resumeAt - stored)
            if let batch = result.batch(dropping: skip) { try sink.append(batch, to: split) }
            stored += produced
          }
          rowsDone += chunk.count
        }
        next += batch.count
        progress?(
          PreparationProgress(
            split: split, rowsDone: rowsDone, rowsTotal: groups.count,
            samplesWritten: max(0, stored - resumeAt),
            seconds: monotonicSeconds() - splitStart))
      }
      summary.samples[split] = max(stored, resumeAt)
      summary.resumed[split] = min(resumeAt, stored)
    }
    try sink.finish()
    summary.seconds = monotonicSeconds() - start
    return summary
  }

  /// Processes chunks in parallel; results come back in chunk order.
  private func process(_ chunks: [[SampleGroup]], split: String, checkOnlyBelow resumeAt: Int, threads: Int)
    throws
    -> [ChunkResult]
  {
    let results = ResultSlots(count: chunks.count)
    let work = { @Sendable (i: Int) in
      var worker = PreparationWorker(preparation: self)
      let checkOnly = (chunks[i].last?.end ?? 0) <= resumeAt
      results.set(i, worker.run(chunks[i], split: split, checkOnly: checkOnly))
    }
    if threads <= 1 || chunks.count == 1 {
      for i in chunks.indices { work(i) }
    } else {
      // concurrentPerform runs on up to all cores; more than `threads` parallel chunks never exist.
      let queue = DispatchQueue(label: "DrivingData.prepare", attributes: .concurrent)
      let group = DispatchGroup()
      let gate = DispatchSemaphore(value: threads)
      for i in chunks.indices {
        gate.wait()
        queue.async(group: group) {
          work(i)
          gate.signal()
        }
      }
      group.wait()
    }
    return try results.all()
  }

  public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// Samples of one source row: planned indices `start..<end` of a split.
struct SampleGroup: Sendable {
  var row: RowReference
  var start: Int
  var end: Int
}

/// Output of one chunk: stored-order images and labels, and the rows that failed.
struct ChunkResult: Sendable {
  var images: [UInt8] = []
  var steering: [Float] = []
  var provenance: [SampleProvenance] = []
  var unreadable: [RecordingIssue] = []
  /// Samples this chunk contributes (also counted when only checked).
  var count = 0
  var height = 0
  var width = 0

  func batch(dropping skip: Int) -> SampleBatch? {
    guard skip < steering.count else { return nil }
    let bytes = height * width * 3
    return SampleBatch(
      images: Array(images[(skip * bytes)...]), labels: Array(steering[skip...]),
      provenance: Array(provenance[skip...]), height: height, width: width, channels: 3)
  }
}

private final class ResultSlots: @unchecked Sendable {
  private let lock = Lock()
  private var slots: [ChunkResult?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ result: ChunkResult) { lock.withLock { slots[index] = result } }

  func all() throws -> [ChunkResult] {
    try lock.withLock {
      try slots.map { slot in
        guard let slot else {
          throw DrivingDataError.invalidArgument("a preparation worker produced nothing")
        }
        return slot
      }
    }
  }
}

package func monotonicSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
