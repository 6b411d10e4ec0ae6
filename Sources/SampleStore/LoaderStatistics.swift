import Foundation

/// What one epoch (or all epochs so far) of a loader cost. `consumerWaitSeconds` is the time
/// `next()` spent waiting for data: when it is a large part of an epoch, loading is the bottleneck.
public struct LoaderStatistics: Sendable, Equatable {
  public var batches = 0
  public var samples = 0
  /// Time the consumer blocked inside `next()` waiting for a batch.
  public var consumerWaitSeconds = 0.0
  /// The longest single wait.
  public var longestWaitSeconds = 0.0
  /// Time reader threads spent reading chunks (labels and provenance; images too, unless direct).
  public var readSeconds = 0.0
  /// Time assembler threads spent copying samples into batches (with direct reads, the image reads).
  public var copySeconds = 0.0
  /// From the first `next()` to the end of the epoch (or now).
  public var elapsedSeconds = 0.0
  /// The most bytes of image, label and provenance buffers the loader held at once.
  public var peakBufferedBytes = 0
  /// Chunk buffers newly allocated (not reused from an earlier epoch).
  public var chunkBuffersAllocated = 0
  /// Batch image arrays newly allocated (not reused from earlier batches).
  public var batchArraysAllocated = 0
  /// Reused batch arrays the consumer still held, so copy-on-write allocated a new one.
  public var batchArraysCopied = 0

  public init() {}

  /// Part of the elapsed time the consumer spent waiting (0 = never starved).
  public var waitFraction: Double { elapsedSeconds > 0 ? consumerWaitSeconds / elapsedSeconds : 0 }

  public var samplesPerSecond: Double { elapsedSeconds > 0 ? Double(samples) / elapsedSeconds : 0 }

  /// Adds another epoch's numbers (peak memory is the maximum).
  public mutating func accumulate(_ other: LoaderStatistics) {
    batches += other.batches
    samples += other.samples
    consumerWaitSeconds += other.consumerWaitSeconds
    longestWaitSeconds = max(longestWaitSeconds, other.longestWaitSeconds)
    readSeconds += other.readSeconds
    copySeconds += other.copySeconds
    elapsedSeconds += other.elapsedSeconds
    peakBufferedBytes = max(peakBufferedBytes, other.peakBufferedBytes)
    chunkBuffersAllocated += other.chunkBuffersAllocated
    batchArraysAllocated += other.batchArraysAllocated
    batchArraysCopied += other.batchArraysCopied
  }

  public var summary: String {
    String(
      format:
        "%d samples in %.2f s (%.0f/s), consumer waited %.2f s (%.0f%%, longest %.1f ms), reads %.2f s, copies %.2f s, peak buffers %.1f MB, allocated %d chunk buffers and %d batch arrays (%d copied on write)",
      samples, elapsedSeconds, samplesPerSecond, consumerWaitSeconds, waitFraction * 100,
      longestWaitSeconds * 1000, readSeconds, copySeconds, Double(peakBufferedBytes) / 1_048_576,
      chunkBuffersAllocated, batchArraysAllocated, batchArraysCopied)
  }
}
