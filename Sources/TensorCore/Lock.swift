// The package's one mutex, on pthreads: Synchronization's `Mutex` needs macOS 15 and the package
// supports macOS 13. `Monitor` adds condition variables where a thread must wait for a state.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

package final class Lock: @unchecked Sendable {
  fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  package init() { pthread_mutex_init(mutex, nil) }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  package func lock() { pthread_mutex_lock(mutex) }
  package func unlock() { pthread_mutex_unlock(mutex) }

  package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    lock()
    defer { unlock() }
    return try body()
  }
}

/// A value guarded by a `Lock`, for state shared by worker threads (counters, first errors).
package final class Locked<Value>: @unchecked Sendable {
  private let lock = Lock()
  private var value: Value

  package init(_ value: Value) { self.value = value }

  package func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    try lock.withLock { () throws(E) -> R in try body(&value) }
  }
}

/// A `Lock` with one condition variable per kind of waiting thread, so a change wakes only the
/// threads it concerns (with a single condition every change in the loader woke readers, planner,
/// assemblers and consumer alike: about ten context switches per batch, a third of its CPU time).
package final class Monitor: @unchecked Sendable {
  private let mutex = Lock()
  private let conditions: UnsafeMutablePointer<pthread_cond_t>
  private let count: Int

  /// `kinds` condition variables, numbered 0..<kinds.
  package init(kinds: Int) {
    count = max(1, kinds)
    conditions = .allocate(capacity: count)
    for index in 0..<count { pthread_cond_init(conditions + index, nil) }
  }

  deinit {
    for index in 0..<count { pthread_cond_destroy(conditions + index) }
    conditions.deallocate()
  }

  package func lock() { mutex.lock() }
  package func unlock() { mutex.unlock() }

  package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    try mutex.withLock(body)
  }

  /// Releases the lock until `wake(kind)` (or a spurious wake-up: callers loop on their condition).
  package func wait(_ kind: Int) { pthread_cond_wait(conditions + kind, mutex.mutex) }

  /// Like `wait`, but gives up at `deadline` (CLOCK_REALTIME); false on time-out.
  package func wait(_ kind: Int, until deadline: timespec) -> Bool {
    var deadline = deadline
    return pthread_cond_timedwait(conditions + kind, mutex.mutex, &deadline) == 0
  }

  /// Wakes every thread waiting as `kind`.
  package func wake(_ kind: Int) { pthread_cond_broadcast(conditions + kind) }

  /// Wakes one thread waiting as `kind`.
  package func wakeOne(_ kind: Int) { pthread_cond_signal(conditions + kind) }

  package func wakeAll() {
    for index in 0..<count { pthread_cond_broadcast(conditions + index) }
  }
}
