import Foundation
import Testing

@testable import HDF5
@testable import SampleStore
@testable import TensorCore

/// A data-parallel rank's epoch: each batch is its share of the unsharded batch, sample for
/// sample, and an empty batch keeps the ranks in step when its share is empty.
@Suite struct ShardedLoaderTests {
  @Test(arguments: [(32, 2), (32, 3), (2, 3), (7, 1)])
  func sharesConcatenateToTheUnshardedEpoch(batchSize: Int, ranks: Int) throws {
    try withTemporaryDirectory { dir in
      // 1,000 samples in chunks of 64: a short last chunk and a short last batch.
      let store = try makeStore(dir, count: 1_000, chunk: 64)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 9, shuffleBufferChunks: 4)
      var whole: [[Int]] = []
      let stream = try loader.makeEpoch(2, batchSize: batchSize)
      while let batch = try stream.next() { whole.append(checkPairing(batch)) }
      var shares: [[[Int]]] = []
      for rank in 0..<ranks {
        var batches: [[Int]] = []
        let epoch = try loader.makeEpoch(2, batchSize: batchSize, shard: (rank, ranks))
        while let batch = try epoch.next() { batches.append(checkPairing(batch)) }
        shares.append(batches)
      }
      for rank in 0..<ranks {
        #expect(shares[rank].count == whole.count, "rank \(rank) got another number of batches")
      }
      for (k, batch) in whole.enumerated() {
        for rank in 0..<ranks {
          let expected = Array(batch[sliceRange(count: batch.count, parts: ranks, index: rank)])
          #expect(shares[rank][k] == expected, "batch \(k), rank \(rank)")
        }
      }
    }
  }
}
