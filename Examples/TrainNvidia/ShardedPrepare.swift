// Preparation under mpirun: every rank prepares a contiguous share of each split's rows into its
// own shard store (crash-safe and resumable like any store), then rank 0 joins the shards into the
// store with HDF5 virtual datasets (H5Store's SampleStoreShards; docs/distributed.md says why).
import Cluster
import Foundation
import SampleStore

struct ShardedPrepare {
  let prepare: Prepare
  let world: MPIWorld

  func run() throws -> PreparedStore {
    let lead = world.rank == 0
    let (preparation, metadata) = try prepare.plan(quiet: !lead)
    // Rank 0 alone checks an existing store (in a child, possibly a long verification): the others
    // wait without a deadline, then learn the verdict.
    let current = lead ? try prepare.isCurrent(metadata, fingerprint: preparation.fingerprint) : false
    try world.barrier(timeout: nil)
    if try world.sum([current ? 1 : 0])[0] > 0 { return PreparedStore(path: prepare.store, reused: true) }

    let shards = (0..<world.size).map { SampleStoreShards.path(of: prepare.store, rank: $0, of: world.size) }
    try prepare.write(
      preparation, metadata: metadata, into: shards[world.rank], shard: (world.rank, world.size))
    try world.barrier(timeout: nil)
    if lead {
      try SampleStoreShards.join(shards: shards, into: prepare.store)
      let store = try SampleStore(path: prepare.store)
      let counts = try store.splits.map { "\($0) \(try store.count(of: $0))" }.joined(separator: ", ")
      try store.close()
      print("joined \(world.size) shards into \(prepare.store): \(counts)")
    }
    try world.barrier(timeout: nil)
    return PreparedStore(path: prepare.store, reused: false)
  }
}
