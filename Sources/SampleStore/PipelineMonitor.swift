import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One mutex with a condition variable per kind of waiting thread, so that a change wakes only the
/// threads it concerns. (With a single NSCondition every change woke readers, planner, assemblers
/// and consumer alike: about ten context switches per batch, a third of the loader's CPU time.)
final class PipelineMonitor: @unchecked Sendable {
  enum Waiter: Int, CaseIterable {
    case readers, planner, assemblers, consumer
  }

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: Waiter.allCases.count)

  init() {
    pthread_mutex_init(mutex, nil)
    for index in Waiter.allCases.indices { pthread_cond_init(conditions + index, nil) }
  }

  deinit {
    for index in Waiter.allCases.indices { pthread_cond_destroy(conditions + index) }
    pthread_mutex_destroy(mutex)
    conditions.deallocate()
    mutex.deallocate()
  }

  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }

  /// Releases the lock until `wake(waiter)` (or a spurious wake-up: callers loop on their condition).
  func wait(_ waiter: Waiter) { pthread_cond_wait(conditions + waiter.rawValue, mutex) }

  /// Wakes every thread waiting as one of `waiters`.
  func wake(_ waiters: Waiter...) {
    for waiter in waiters { pthread_cond_broadcast(conditions + waiter.rawValue) }
  }

  func wakeAll() {
    for index in Waiter.allCases.indices { pthread_cond_broadcast(conditions + index) }
  }

  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock()
    defer { unlock() }
    return try body()
  }
}
