import Synchronization
import Testing

@testable import TensorCore

@Suite struct ParallelTests {
  @Test func slicesCoverTheRangeOnce() {
    for count in [0, 1, 5, 32, 33] {
      for parts in 1...4 {
        let r = (0..<parts).map { sliceRange(count: count, parts: parts, index: $0) }
        #expect(r.flatMap { Array($0) } == Array(0..<count))
      }
    }
  }

  @Test func everyWorkerRunsItsSlice() {
    let seen = Mutex([Int](repeating: 0, count: 10))
    parallelSlices(count: 10, workers: 2) { _, range in
      seen.withLock { for i in range { $0[i] += 1 } }
    }
    #expect(seen.withLock { $0 } == [Int](repeating: 1, count: 10))
  }

  @Test func chunksCoverTheRangeOnceWithDistinctWorkers() {
    for (count, chunk, workers) in [(0, 4, 2), (1, 4, 2), (32, 4, 2), (33, 4, 3), (7, 1, 8), (10, 20, 2)] {
      let seen = Mutex([Int](repeating: 0, count: count))
      let active = Mutex(Set<Int>())
      let clash = Mutex(false)
      parallelChunks(count: count, chunk: chunk, workers: workers) { worker, range in
        // Two concurrent calls must never share a worker index (per-worker accumulators rely on it).
        active.withLock { if !$0.insert(worker).inserted { clash.withLock { $0 = true } } }
        #expect(worker >= 0 && worker < max(1, workers))
        #expect(range.count <= chunk && range.lowerBound % chunk == 0)
        seen.withLock { for i in range { $0[i] += 1 } }
        _ = active.withLock { $0.remove(worker) }
      }
      #expect(seen.withLock { $0 } == [Int](repeating: 1, count: count), "count \(count) chunk \(chunk)")
      #expect(!clash.withLock { $0 })
    }
  }
}
