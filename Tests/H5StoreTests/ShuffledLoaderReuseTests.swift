import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

/// Buffers reused across batches and epochs keep every guarantee of a fresh epoch.
@Suite struct ShuffledLoaderReuseTests {
  @Test(arguments: [true, false])
  func aSecondEpochAllocatesNoBuffers(direct: Bool) throws {
    try withTemporaryDirectory { dir in
      // 12 batches of 8 per epoch: more than the batch arrays kept (6), so all come round.
      let store = try makeStore(dir, count: 96, chunk: 8)
      let loader = try ShuffledLoader(
        store: store, split: "train", seed: 2, shuffleBufferChunks: 3, directReads: direct)
      let first = try loader.makeLoaderEpoch(0, batchSize: 8)
      var order = checkPairing(try #require(try first.next()))
      // Wait for the readers to fill the whole prefetch window, so this epoch needs every buffer an
      // epoch may hold (the next one could otherwise legitimately need more than this one did).
      // (Bounded only so that a bug fails the expectation below instead of hanging.)
      for _ in 0..<60_000 where first.statistics.chunkBuffersAllocated < loader.chunkBufferLimit {
        usleep(1000)
      }
      order += try drain(first).order
      #expect(order == loader.epochOrder(0))
      #expect(first.statistics.chunkBuffersAllocated == loader.chunkBufferLimit)
      #expect(first.statistics.batchArraysAllocated > 0)
      #expect(loader.pooledChunkBuffers == first.statistics.chunkBuffersAllocated)
      #expect(loader.pooledBatchBytes == loader.batchPool.depth * 8 * store.imageBytes)

      let second = try loader.makeLoaderEpoch(1, batchSize: 8)
      let (secondOrder, sizes) = try drain(second)
      #expect(secondOrder == loader.epochOrder(1))
      #expect(secondOrder.sorted() == Array(0..<96))
      #expect(sizes == Array(repeating: 8, count: 12))
      let stats = second.statistics
      #expect(stats.chunkBuffersAllocated == 0)
      #expect(stats.batchArraysAllocated == 0)
      #expect(stats.batchArraysCopied == 0, "the consumer dropped every batch: reused in place")
    }
  }

  @Test func onlyAShortLastBatchIsAllocatedAgain() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 103, chunk: 8)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 4, shuffleBufferChunks: 3)
      _ = try drain(try loader.makeLoaderEpoch(0, batchSize: 10))
      let second = try loader.makeLoaderEpoch(1, batchSize: 10)
      let (order, sizes) = try drain(second)
      #expect(order == loader.epochOrder(1))
      #expect(sizes.last == 3)
      // Every full batch reuses an array; the short one is the only allocation.
      #expect(second.statistics.batchArraysAllocated == 1)
    }
  }

  @Test func batchesTheConsumerKeepsAreNeverOverwritten() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 96, chunk: 8)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 6, shuffleBufferChunks: 2)
      var kept: [SampleBatch] = []
      for epoch in 0..<2 {
        let stream = try loader.makeLoaderEpoch(epoch, batchSize: 8)
        while let batch = try stream.next() { kept.append(batch) }
      }
      // Every array came round while the consumer still held it: copy-on-write gave the writer a
      // fresh one, and what the consumer holds is still what it was given.
      #expect(loader.statistics.batchArraysCopied > 0)
      let order = kept.flatMap { checkPairing($0) }
      #expect(order == loader.epochOrder(0) + loader.epochOrder(1))
    }
  }

  @Test func stoppingEarlyReleasesTheBuffersKeptForLaterEpochs() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 96, chunk: 8)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 8, shuffleBufferChunks: 2)
      _ = try drain(try loader.makeLoaderEpoch(0, batchSize: 8))
      #expect(loader.pooledChunkBuffers > 0)
      #expect(loader.pooledBatchBytes > 0)
      let epoch = try loader.makeLoaderEpoch(1, batchSize: 8)
      _ = try #require(try epoch.next())
      epoch.cancel()
      #expect(loader.pooledChunkBuffers == 0)
      #expect(loader.pooledBatchBytes == 0)
      #expect(waitForNoThreads(epoch.pipelineThreadPrefix))
      // A later epoch starts afresh and is still complete and in order.
      let again = try loader.makeLoaderEpoch(2, batchSize: 8)
      #expect(try drain(again).order == loader.epochOrder(2))
      #expect(again.statistics.chunkBuffersAllocated > 0)
    }
  }
}
