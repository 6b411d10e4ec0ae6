import TensorCore

/// The kinds of thread that wait in an epoch pipeline: each has its own condition in the pipeline's
/// `Monitor`, so a change wakes only the threads it concerns.
enum PipelineWaiter: Int, CaseIterable {
  case readers, planner, assemblers, consumer
}

extension Monitor {
  /// A monitor with one condition per `PipelineWaiter`.
  static func pipeline() -> Monitor { Monitor(kinds: PipelineWaiter.allCases.count) }

  /// Releases the lock until `wake(waiter)` (or a spurious wake-up: callers loop on their condition).
  func wait(_ waiter: PipelineWaiter) { wait(waiter.rawValue) }

  /// Wakes every thread waiting as one of `waiters`.
  func wake(_ waiters: PipelineWaiter...) {
    for waiter in waiters { wake(waiter.rawValue) }
  }
}
