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
