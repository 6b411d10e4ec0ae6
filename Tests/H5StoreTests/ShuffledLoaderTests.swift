import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct ShuffledLoaderTests {
  @Test(arguments: [1, 3], [true, false])
  func everySampleExactlyOncePairedInThePredictedOrder(readers: Int, direct: Bool) throws {
    try withTemporaryDirectory { dir in
      // 103 samples: not a multiple of the chunk (8) nor of the batch (10).
      let store = try makeStore(dir, count: 103, chunk: 8)
      let loader = try ShuffledLoader(
        store: store, split: "train", seed: 5, shuffleBufferChunks: 3, prefetchChunks: 2,
        readerThreads: readers, assemblerThreads: readers, directReads: direct)
      #expect(loader.readsDirectly == direct)
      #expect(loader.sampleCount == 103)
      #expect(loader.sampleShape == [4, 5, 3])
      let (order, sizes) = try drain(try loader.makeEpoch(0, batchSize: 10))
      #expect(order.sorted() == Array(0..<103))
      #expect(sizes == Array(repeating: 10, count: 10) + [3])
      #expect(order == loader.epochOrder(0))
    }
  }

  @Test func epochsDifferAndTheSameSeedRepeatsWhateverTheThreads() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 64, chunk: 8)
      let a = try ShuffledLoader(
        store: store, split: "train", seed: 9, shuffleBufferChunks: 2, readerThreads: 1, assemblerThreads: 1)
      // Other thread counts and reads through HDF5 instead of direct ones.
      let b = try ShuffledLoader(
        store: store, split: "train", seed: 9, shuffleBufferChunks: 2, readerThreads: 4, assemblerThreads: 3,
        directReads: false)
      let c = try ShuffledLoader(store: store, split: "train", seed: 10, shuffleBufferChunks: 2)
      let a0 = try drain(try a.makeEpoch(0, batchSize: 7)).order
      let a1 = try drain(try a.makeEpoch(1, batchSize: 7)).order
      #expect(a0 != a1)
      // Neither the batch size nor the number of readers changes the order.
      #expect(try drain(try b.makeEpoch(0, batchSize: 5)).order == a0)
      #expect(try drain(try b.makeEpoch(1, batchSize: 7)).order == a1)
      #expect(try drain(try c.makeEpoch(0, batchSize: 7)).order != a0)
    }
  }

  @Test(arguments: [true, false])
  func memoryStaysUnderTheBoundWhateverTheStoreSize(direct: Bool) throws {
    try withTemporaryDirectory { dir in
      var bounds: [Int] = []
      for count in [200, 1000] {
        let store = try makeStore(dir, count: count, chunk: 16, shape: [8, 8, 3])
        let loader = try ShuffledLoader(
          store: store, split: "train", seed: 1, shuffleBufferChunks: 4, prefetchChunks: 3,
          directReads: direct)
        // Two epochs: the second reuses the buffers of the first and must stay under the bound too.
        for epochNumber in 0..<2 {
          let epoch = try loader.makeLoaderEpoch(epochNumber, batchSize: 8)
          let (order, _) = try drain(epoch, shape: [8, 8, 3])
          #expect(order.count == count)
          let peak = epoch.statistics.peakBufferedBytes
          #expect(peak > 0)
          #expect(peak <= loader.memoryBoundBytes(batchSize: 8), "peak \(peak)")
        }
        // The bound holds a fraction of the store: 4 + 3 chunks of 16 samples (labels only with
        // direct reads) and 2 + 2 + 2 batches of 8 samples, plus a short last one.
        let sample = 8 * 8 * 3 + 4 + 12
        let expected = (direct ? 7 * 16 * 16 : 7 * 16 * sample) + 7 * 8 * sample
        #expect(loader.memoryBoundBytes(batchSize: 8) == expected)
        bounds.append(loader.memoryBoundBytes(batchSize: 8))
      }
      // The bound that every measured peak stays under does not grow with N. (Comparing the two
      // measured peaks themselves was timing-dependent: a consumer that keeps up leaves the
      // prefetch queue emptier on one run than on the other.)
      #expect(bounds[1] == bounds[0])
    }
  }

  @Test func earlyCancelAndDroppingReleaseEveryThread() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 400, chunk: 8)
      let loader = try ShuffledLoader(
        store: store, split: "train", seed: 3, shuffleBufferChunks: 2, readerThreads: 3, assemblerThreads: 2)
      let epoch = try loader.makeLoaderEpoch(0, batchSize: 4)
      let prefix = epoch.pipelineThreadPrefix
      #expect(try epoch.next()?.count == 4)
      #expect(try epoch.next()?.count == 4)
      var running = liveThreads(prefix).count
      for _ in 0..<3000 where running < 6 {  // threads name themselves once scheduled
        usleep(10_000)
        running = liveThreads(prefix).count
      }
      #expect(running == 6, "3 readers, the planner and 2 assemblers run: \(liveThreads(prefix))")
      #expect(epoch.liveThreadCount == 6)
      epoch.cancel()
      #expect(epoch.liveThreadCount == 0)  // cancel() joins them
      #expect(try epoch.next() == nil)
      #expect(waitForNoThreads(prefix), "threads left: \(liveThreads(prefix))")
      #expect(loader.statistics.batches == 2)

      var dropped: LoaderEpoch? = try loader.makeLoaderEpoch(1, batchSize: 4)
      let droppedPrefix = try #require(dropped?.pipelineThreadPrefix)
      _ = try dropped?.next()
      dropped = nil
      #expect(waitForNoThreads(droppedPrefix), "threads left: \(liveThreads(droppedPrefix))")
      #expect(loader.statistics.batches == 3)
    }
  }

  @Test func aReadFailureIsThrownNotCrashed() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 200, chunk: 8)
      let loader = try ShuffledLoader(
        store: store, split: "train", seed: 3, shuffleBufferChunks: 2, prefetchChunks: 1)
      let epoch = try loader.makeLoaderEpoch(0, batchSize: 4)
      _ = try epoch.next()
      try store.close()
      #expect(throws: H5StoreError.self) {
        while try epoch.next() != nil {}
      }
      #expect(waitForNoThreads(epoch.pipelineThreadPrefix))
    }
  }

  @Test func waitStatisticsAreRecorded() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 120, chunk: 8)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 3)
      let epoch = try loader.makeLoaderEpoch(0, batchSize: 16)
      _ = try drain(epoch)
      let stats = epoch.statistics
      #expect(stats.samples == 120)
      #expect(stats.batches == 8)
      #expect(stats.consumerWaitSeconds > 0)  // the first batch has to be read first
      #expect(stats.longestWaitSeconds <= stats.consumerWaitSeconds)
      #expect(stats.readSeconds > 0)
      #expect(stats.elapsedSeconds >= stats.consumerWaitSeconds)
      #expect(loader.statistics == stats)
    }
  }
}

/// Names of this process's threads that start with `prefix` (Linux: /proc/self/task/*/comm).
func liveThreads(_ prefix: String) -> [String] {
  #if os(Linux)
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { task in
      let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
      return name.flatMap { $0.hasPrefix(prefix) ? $0 : nil }
    }
  #else
    return []
  #endif
}

/// Threads leave the dispatch group just before they exit: give the OS time to reap them (up to
/// 30 s, for a loaded machine or a sanitizer build; it returns as soon as they are gone).
func waitForNoThreads(_ prefix: String) -> Bool {
  for _ in 0..<6000 {
    if liveThreads(prefix).isEmpty { return true }
    usleep(5_000)
  }
  return false
}
