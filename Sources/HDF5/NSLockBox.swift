import Foundation

/// `NSLock` with a closure helper (Synchronization's `Mutex` needs macOS 15; the package targets 13).
package final class NSLockBox: @unchecked Sendable {
  private let lock = NSLock()

  package init() {}

  package func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }
}
