import Foundation
import Testing

@testable import HDF5
@testable import SampleStore
@testable import TensorCore

/// Shards joined by virtual datasets read as the store one writer would have written, and a
/// missing or changed shard is an error before anything is read (libhdf5 would read zeros).
@Suite struct SampleStoreShardsTests {
  let counts = ["train": 120, "validation": 30]

  /// Shard `index` of `parts` holds a contiguous share of each split's synthetic samples.
  func writeShard(_ path: String, index: Int, parts: Int, chunk: Int = 16) throws {
    let writer = try SampleStoreWriter(
      path: path, imageShape: [4, 5, 3], splits: ["train", "validation"], chunkImages: chunk,
      metadata: testMetadata)
    for split in writer.splits {
      let share = sliceRange(count: counts[split]!, parts: parts, index: index)
      try writer.append(syntheticBatch(split, share), to: split)
    }
    try writer.finish()
  }

  @Test func joinedShardsReadAsOneStore() throws {
    try withTemporaryDirectory { dir in
      let whole = dir.appendingPathComponent("whole.h5").path
      try writeShard(whole, index: 0, parts: 1)
      let store = dir.appendingPathComponent("joined.h5").path
      let shards = (0..<3).map { SampleStoreShards.path(of: store, rank: $0, of: 3) }
      for (i, path) in shards.enumerated() { try writeShard(path, index: i, parts: 3) }
      try SampleStoreShards.join(shards: shards, into: store)

      let joined = try SampleStore(path: store)
      let reference = try SampleStore(path: whole)
      try joined.verify()
      for split in ["train", "validation"] {
        #expect(try joined.count(of: split) == counts[split])
        #expect(try joined.checksums(of: split) == reference.checksums(of: split))
        let a = try joined.batch(of: split, range: 0..<counts[split]!)
        let b = try reference.batch(of: split, range: 0..<counts[split]!)
        #expect(a.images == b.images && a.labels == b.labels && a.provenance == b.provenance)
      }
      // The loader reads it through HDF5 (a virtual dataset has no chunks to pread).
      let loader = try ShuffledLoader(store: joined, split: "train", seed: 3)
      #expect(!loader.readsDirectly)
      let (order, _) = try drain(try loader.makeEpoch(0, batchSize: 32))
      #expect(order.sorted() == Array(0..<120))
    }
  }

  @Test func aMissingOrChangedShardIsAnErrorNotZeros() throws {
    try withTemporaryDirectory { dir in
      let store = dir.appendingPathComponent("joined.h5").path
      let shards = (0..<2).map { SampleStoreShards.path(of: store, rank: $0, of: 2) }
      for (i, path) in shards.enumerated() { try writeShard(path, index: i, parts: 2) }
      try SampleStoreShards.join(shards: shards, into: store)
      _ = try SampleStore(path: store)

      // Rewritten with other samples (a shard of another split of the work): changed.
      try FileManager.default.removeItem(atPath: shards[1])
      try writeShard(shards[1], index: 0, parts: 2)
      #expect(throws: H5StoreError.self) { try SampleStore(path: store) }
      do {
        _ = try SampleStore(path: store)
      } catch {
        #expect("\(error)".contains("changed since it was joined"), "\(error)")
      }

      try FileManager.default.removeItem(atPath: shards[1])
      do {
        _ = try SampleStore(path: store)
        Issue.record("a store with a missing shard opened")
      } catch {
        #expect("\(error)".contains("is missing"), "\(error)")
      }
    }
  }

  @Test func shardsPreparedDifferentlyAreNotJoined() throws {
    try withTemporaryDirectory { dir in
      let store = dir.appendingPathComponent("joined.h5").path
      let shards = (0..<2).map { SampleStoreShards.path(of: store, rank: $0, of: 2) }
      try writeShard(shards[0], index: 0, parts: 2)
      try writeShard(shards[1], index: 1, parts: 2, chunk: 8)
      #expect(throws: H5StoreError.self) { try SampleStoreShards.join(shards: shards, into: store) }
      #expect(!FileManager.default.fileExists(atPath: store))
    }
  }
}
