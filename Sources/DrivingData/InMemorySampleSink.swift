// A SampleSink that keeps everything in memory: for tests, small experiments, and checking what
// a preparation would store without writing a file.
import TensorCore

public final class InMemorySampleSink: SampleSink, @unchecked Sendable {
  private let lock = Lock()
  private var stored: [String: SampleBatch] = [:]
  public private(set) var finished = false
  public private(set) var appendCount = 0

  public init() {}

  public func resumePoint(for split: String) throws -> Int { lock.withLock { stored[split]?.count ?? 0 } }

  public func append(_ batch: SampleBatch, to split: String) throws {
    try lock.withLock {
      if var existing = stored[split] {
        guard existing.height == batch.height, existing.width == batch.width,
          existing.channels == batch.channels
        else {
          throw DrivingDataError.invalidArgument("sample shape changed within split \(split)")
        }
        existing.images += batch.images
        existing.labels += batch.labels
        existing.provenance += batch.provenance
        stored[split] = existing
      } else {
        stored[split] = batch
      }
      appendCount += 1
    }
  }

  public func finish() throws { lock.withLock { finished = true } }

  /// Everything stored in `split` as one batch (nil if nothing).
  public func samples(_ split: String) -> SampleBatch? { lock.withLock { stored[split] } }
}
