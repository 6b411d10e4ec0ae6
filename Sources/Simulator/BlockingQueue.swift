// A small thread-safe FIFO the NIO event loop fills and the simulation thread drains, with timeouts.
import Foundation

final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var items: [Element] = []

  func push(_ item: Element) {
    condition.lock()
    items.append(item)
    condition.signal()
    condition.unlock()
  }

  /// The oldest item, waiting at most `timeout` seconds; nil on timeout.
  func pop(timeout: Double) -> Element? {
    let deadline = Date(timeIntervalSinceNow: timeout)
    condition.lock()
    defer { condition.unlock() }
    while items.isEmpty {
      if !condition.wait(until: deadline) { break }
    }
    return items.isEmpty ? nil : items.removeFirst()
  }
}
