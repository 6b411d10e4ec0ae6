// Overlapping the gradient sum with backward, as PyTorch DDP and Horovod do: the flat gradient
// buffer is cut into buckets along layer boundaries; backward runs from the last layer to the
// first, so the buckets at the end of the buffer are final first, and each is handed to the group
// (non-blocking) as soon as it is, while backward continues through earlier layers.
import TensorCore

/// Bucket boundaries in the order backward completes them. A function of the model's layout only,
/// so every rank starts the same collectives in the same order.
package struct GradientBuckets {
  package let ranges: [Range<Int>]

  /// Layers' parameter ranges from the last layer down, merged until a bucket holds at least
  /// `floats` values; `floats` <= 0 gives one bucket (a single sum after backward).
  package init(model: Sequential, floats: Int) {
    let count = model.parameters.count
    guard floats > 0 else {
      ranges = count > 0 ? [0..<count] : []
      return
    }
    var ranges: [Range<Int>] = []
    var upper = count
    for layer in model.layers.reversed() {
      guard let first = layer.parameters.first else { continue }
      if upper - first.offset >= floats {
        ranges.append(first.offset..<upper)
        upper = first.offset
      }
    }
    if upper > 0 { ranges.append(0..<upper) }
    self.ranges = ranges
  }
}

/// One step's sum: scales each bucket by this rank's share of the global batch and starts it when
/// backward passes its lower boundary; `finish` starts the rest and waits for all.
package final class BucketedSum {
  let group: any DataParallelGroup
  let buckets: GradientBuckets
  let store: ParameterStore
  let weight: Float
  private var next = 0
  private(set) var failure: Error?

  package init(group: any DataParallelGroup, buckets: GradientBuckets, store: ParameterStore, weight: Float) {
    self.group = group
    self.buckets = buckets
    self.store = store
    self.weight = weight
  }

  /// Gradients from `boundary` to the end of the buffer are final.
  package func ready(from boundary: Int) {
    guard failure == nil else { return }
    do {
      while next < buckets.ranges.count, buckets.ranges[next].lowerBound >= boundary { try start(next) }
      try group.progressSums()
    } catch {
      failure = error
    }
  }

  package func finish() throws {
    if let failure { throw failure }
    while next < buckets.ranges.count { try start(next) }
    try group.finishSums()
  }

  private func start(_ index: Int) throws {
    let range = buckets.ranges[index]
    next = index + 1
    let g = store.gradients
    if weight != 1 { for i in range { g[i] *= weight } }
    try group.startSum(g + range.lowerBound, count: range.count)
  }
}
