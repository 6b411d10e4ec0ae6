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
}
