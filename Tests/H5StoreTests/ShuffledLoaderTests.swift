import Foundation
import TensorCore
import Testing

@testable import H5Store

@Suite struct ShuffledLoaderTests {
  /// A finished store of `count` synthetic training samples (images encode their index).
  func makeStore(_ dir: URL, count: Int, chunk: Int, shape: [Int] = [4, 5, 3]) throws -> SampleStore {
    let path = dir.appendingPathComponent("store-\(count)-\(chunk).h5").path
    let writer = try SampleStoreWriter(
      path: path, imageShape: shape, splits: ["train"], chunkImages: chunk, metadata: testMetadata)
    try writeSyntheticStore(writer, counts: ["train": count], batch: 37)
    return try SampleStore(path: path)
  }

  /// Reads a whole epoch, checking every sample's image, label and provenance belong together.
  func drain(_ stream: any BatchStream, shape: [Int] = [4, 5, 3]) throws -> (order: [Int], sizes: [Int]) {
    var order: [Int] = []
    var sizes: [Int] = []
    let pixels = shape.reduce(1, *)
    while let batch = try stream.next() {
      sizes.append(batch.count)
      for k in 0..<batch.count {
        let index = Int(batch.provenance[k].row)
        let expected = syntheticBatch("train", index..<(index + 1), shape: shape)
        #expect(
          Array(batch.images[(k * pixels)..<((k + 1) * pixels)]) == expected.images, "image of \(index)")
        #expect(batch.steering[k] == expected.steering[0], "label of \(index)")
        #expect(batch.provenance[k] == expected.provenance[0])
        order.append(index)
      }
    }
    return (order, sizes)
  }

  @Test(arguments: [1, 3])
  func everySampleExactlyOncePairedInThePredictedOrder(readers: Int) throws {
    try withTemporaryDirectory { dir in
      // 103 samples: not a multiple of the chunk (8) nor of the batch (10).
      let store = try makeStore(dir, count: 103, chunk: 8)
      let loader = try ShuffledLoader(
        store: store, split: "train", seed: 5, shuffleBufferChunks: 3, prefetchChunks: 2,
        readerThreads: readers)
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
        store: store, split: "train", seed: 9, shuffleBufferChunks: 2, readerThreads: 1)
      let b = try ShuffledLoader(
        store: store, split: "train", seed: 9, shuffleBufferChunks: 2, readerThreads: 4)
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

  @Test func memoryStaysUnderTheBoundWhateverTheStoreSize() throws {
    try withTemporaryDirectory { dir in
      var bounds: [Int] = []
      for count in [200, 1000] {
        let store = try makeStore(dir, count: count, chunk: 16, shape: [8, 8, 3])
        let loader = try ShuffledLoader(
          store: store, split: "train", seed: 1, shuffleBufferChunks: 4, prefetchChunks: 3)
        let epoch = try loader.makeLoaderEpoch(0, batchSize: 8)
        let (order, _) = try drain(epoch, shape: [8, 8, 3])
        #expect(order.count == count)
        let peak = epoch.statistics.peakBufferedBytes
        #expect(peak > 0)
        #expect(peak <= loader.memoryBoundBytes(batchSize: 8), "peak \(peak)")
        // The bound holds a fraction of the store: 4 + 3 chunks + 4 batches of 16 / 8 samples.
        #expect(loader.memoryBoundBytes(batchSize: 8) < 150 * (8 * 8 * 3 + 4 + 12))
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
        store: store, split: "train", seed: 3, shuffleBufferChunks: 2, readerThreads: 3)
      let epoch = try loader.makeLoaderEpoch(0, batchSize: 4)
      let prefix = epoch.pipelineThreadPrefix
      #expect(try epoch.next()?.count == 4)
      #expect(try epoch.next()?.count == 4)
      var running = liveThreads(prefix).count
      for _ in 0..<100 where running < 4 {
        usleep(10_000)
        running = liveThreads(prefix).count
      }
      #expect(running == 4, "3 readers and the shuffler run: \(liveThreads(prefix))")
      #expect(epoch.liveThreadCount == 4)
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

/// Threads leave the dispatch group just before they exit: give the OS a moment to reap them.
func waitForNoThreads(_ prefix: String) -> Bool {
  for _ in 0..<200 {
    if liveThreads(prefix).isEmpty { return true }
    usleep(5_000)
  }
  return false
}
