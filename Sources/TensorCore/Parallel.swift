// Splitting work across cores. ConvNet divides a batch into one contiguous slice per worker and
// runs single-threaded BLAS in each, which is steadier than OpenBLAS's own threading here.
import Dispatch
import Foundation

/// `body(worker, range)` for `workers` contiguous slices of `0..<count`, run concurrently.
/// The calling thread takes part, so `workers == 1` runs inline with no dispatch at all.
package func parallelSlices(count: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
  let w = max(1, min(workers, count))
  if w == 1 {
    body(0, 0..<count)
    return
  }
  // Slices touch disjoint memory by contract, so the closure may run on several threads at once.
  withoutActuallyEscaping(body) { escaping in
    let box = UncheckedSendable(escaping)
    DispatchQueue.concurrentPerform(iterations: w) { i in
      box.value(i, sliceRange(count: count, parts: w, index: i))
    }
  }
}

/// `body(worker, range)` over chunks of `chunk` items of `0..<count`, handed out in order to up to
/// `workers` threads as each becomes free. Unlike fixed slices, a core slowed by other work (the
/// simulator, a build) takes fewer chunks instead of stalling the step. Worker indices are unique
/// among concurrent calls of `body`, so per-worker accumulators need no lock.
package func parallelChunks(count: Int, chunk: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
  let size = max(1, chunk)
  let chunks = (count + size - 1) / size
  let w = max(1, min(workers, chunks))
  if w == 1 {
    if count > 0 { body(0, 0..<count) }
    return
  }
  let next = Locked(0)  // the next chunk, handed to whichever thread asks first
  withoutActuallyEscaping(body) { escaping in
    let box = UncheckedSendable(escaping)
    DispatchQueue.concurrentPerform(iterations: w) { worker in
      while let c = next.withLock({ (n: inout Int) -> Int? in
        guard n < chunks else { return nil }
        n += 1
        return n - 1
      }) {
        box.value(worker, (c * size)..<min(count, (c + 1) * size))
      }
    }
  }
}

/// Carries a value across threads where the caller guarantees the accesses do not race.
package struct UncheckedSendable<T>: @unchecked Sendable {
  package let value: T
  package init(_ value: T) { self.value = value }
}

/// The `index`-th of `parts` near-equal contiguous slices of `0..<count` (earlier slices get the extra).
package func sliceRange(count: Int, parts: Int, index: Int) -> Range<Int> {
  let base = count / parts
  let extra = count % parts
  let start = index * base + min(index, extra)
  return start..<(start + base + (index < extra ? 1 : 0))
}

/// Cores available to this process.
public var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }
