// The package's one blocking FIFO between threads, on a `Monitor`: producers wait while it is full,
// consumers wait (with a time-out) while it is empty.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

package final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  private enum Waiter: Int, CaseIterable { case producers, consumers }

  private let monitor = Monitor(kinds: Waiter.allCases.count)
  private var items: [Element] = []
  private var head = 0
  /// Items the queue holds at most; `push` waits for room beyond it.
  package let capacity: Int

  package init(capacity: Int) {
    precondition(capacity > 0, "a queue needs room for one item")
    self.capacity = capacity
  }

  /// Items waiting now.
  package var count: Int { monitor.withLock { items.count - head } }

  /// Appends `item`, waiting while the queue is full.
  package func push(_ item: Element) {
    monitor.lock()
    defer { monitor.unlock() }
    while items.count - head >= capacity { monitor.wait(Waiter.producers.rawValue) }
    items.append(item)
    monitor.wakeOne(Waiter.consumers.rawValue)
  }

  /// The oldest item, waiting at most `timeout` seconds; nil on time-out.
  package func pop(timeout: Double) -> Element? {
    let deadline = Self.deadline(after: timeout)
    monitor.lock()
    defer { monitor.unlock() }
    while items.count == head {
      if !monitor.wait(Waiter.consumers.rawValue, until: deadline) { break }
    }
    guard items.count > head else { return nil }
    let item = items[head]
    head += 1
    if head * 2 >= items.count {  // drop the consumed prefix once it is half the array
      items.removeFirst(head)
      head = 0
    }
    monitor.wakeOne(Waiter.producers.rawValue)
    return item
  }

  private static func deadline(after seconds: Double) -> timespec {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let clamped = max(0, min(seconds, 1e9))
    let whole = clamped.rounded(.down)
    var nanoseconds = Int(now.tv_nsec) + Int((clamped - whole) * 1e9)
    var secondsPart = Int(now.tv_sec) + Int(whole)
    if nanoseconds >= 1_000_000_000 {
      nanoseconds -= 1_000_000_000
      secondsPart += 1
    }
    return timespec(tv_sec: secondsPart, tv_nsec: nanoseconds)
  }
}
