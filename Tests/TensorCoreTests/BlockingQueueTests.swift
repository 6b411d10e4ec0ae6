import Dispatch
import Testing

@testable import TensorCore

@Suite struct BlockingQueueTests {
  @Test func firstInFirstOutAndTimeOut() {
    let queue = BlockingQueue<Int>(capacity: 8)
    for i in 0..<5 { queue.push(i) }
    #expect((0..<5).map { _ in queue.pop(timeout: 1) } == [0, 1, 2, 3, 4])
    #expect(queue.pop(timeout: 0.05) == nil)
  }

  @Test func producerWaitsWhileFull() {
    let queue = BlockingQueue<Int>(capacity: 2)
    queue.push(1)
    queue.push(2)
    let pushed = Locked(false)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      queue.push(3)  // waits until a pop makes room
      pushed.withLock { $0 = true }
      done.signal()
    }
    #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
    #expect(pushed.withLock { $0 } == false && queue.count == 2)
    #expect(queue.pop(timeout: 1) == 1)
    #expect(done.wait(timeout: .now() + 5) == .success)
    #expect(queue.pop(timeout: 1) == 2 && queue.pop(timeout: 1) == 3)
  }

  @Test func consumerWakesOnPush() {
    let queue = BlockingQueue<String>(capacity: 1)
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { queue.push("late") }
    #expect(queue.pop(timeout: 5) == "late")
  }
}
