import Foundation
import Synchronization
import Testing

@testable import TensorCore

/// The helper team of a split batch-1 forward: every chunk runs exactly once, the call returns only
/// after all have, worker indices are never shared by concurrent calls, and the handoff survives
/// many calls, callers racing for the helpers, and helpers that went to sleep in between.
@Suite struct HelperTeamTests {
  /// Runs one job and checks it: each chunk once, workers in 0...helpers, no worker index in use
  /// twice at the same time, and the count of chunks run on helpers that the call returns is the
  /// count of chunks that saw a helper's worker index (badWorker otherwise). Returns the chunk
  /// counts seen when the call returned.
  static func check(chunks: Int, helpers: Int) -> (counts: [Int], badWorker: Bool, clash: Bool) {
    let counts = Mutex([Int](repeating: 0, count: chunks))
    let active = Mutex(Set<Int>())
    let badWorker = Mutex(false)
    let clash = Mutex(false)
    let onHelpers = Mutex(0)
    let reported = HelperTeam.run(chunks: chunks, helpers: helpers) { chunk, worker in
      if worker < 0 || worker > helpers { badWorker.withLock { $0 = true } }
      if !active.withLock({ $0.insert(worker).inserted }) { clash.withLock { $0 = true } }
      counts.withLock { $0[chunk] += 1 }
      if worker != 0 { onHelpers.withLock { $0 += 1 } }
      active.withLock { _ = $0.remove(worker) }
    }
    if reported != onHelpers.withLock({ $0 }) { badWorker.withLock { $0 = true } }
    return (counts.withLock { $0 }, badWorker.withLock { $0 }, clash.withLock { $0 })
  }

  @Test func everyChunkRunsOnceBeforeTheCallReturns() {
    for (chunks, helpers) in [(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (17, 3), (5, 0), (64, 1)] {
      for _ in 0..<200 {
        let (counts, badWorker, clash) = Self.check(chunks: chunks, helpers: helpers)
        #expect(counts == [Int](repeating: 1, count: chunks), "chunks \(chunks), helpers \(helpers)")
        #expect(!badWorker)
        #expect(!clash)
      }
    }
  }

  @Test func helpersTakeChunks() {
    // A job long enough that a helper, even one that was asleep, wakes before the caller is done.
    // Counted from this test's own jobs (other tests split at the same time).
    var onHelpers = 0
    for _ in 0..<50 {
      onHelpers += HelperTeam.run(chunks: 8, helpers: 1) { _, _ in usleep(200) }
    }
    #expect(HelperTeam.startedHelpers >= 1)
    #expect(onHelpers > 0, "no chunk ran on a helper: the handoff never happened")
  }

  @Test func survivesManyCallsFromRacingCallersAndSleepingHelpers() {
    let failures = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 4) { caller in
      for round in 0..<2_000 {
        let chunks = 1 + (round + caller) % 9
        let (counts, badWorker, clash) = Self.check(chunks: chunks, helpers: 1 + caller % 2)
        if counts != [Int](repeating: 1, count: chunks) || badWorker || clash {
          failures.withLock { $0 += 1 }
        }
        // Now and then long enough for the helpers to go to sleep (they spin 200 µs).
        if round % 500 == 499 { usleep(2_000) }
      }
    }
    #expect(failures.withLock { $0 } == 0)
  }

  /// Parking (after a split forward, before a reply's write) sends spinning helpers to sleep; jobs
  /// posted after it, by this caller or racing ones, still run every chunk once and reach helpers.
  @Test func parkedHelpersStillTakeLaterJobs() {
    let failures = Mutex(0)
    let onHelpers = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 3) { caller in
      for round in 0..<600 {
        let chunks = 2 + (round + caller) % 7
        let (counts, badWorker, clash) = Self.check(chunks: chunks, helpers: 1)
        if counts != [Int](repeating: 1, count: chunks) || badWorker || clash {
          failures.withLock { $0 += 1 }
        }
        // Parks land on spinning helpers, on sleeping ones, and between a post and its take.
        if round % 3 != 0 { HelperTeam.park(helpers: 1 + round % 2) }
        if round % 200 == 199 { usleep(2_000) }
      }
    }
    #expect(failures.withLock { $0 } == 0)
    // A parked helper is woken by the next post: long jobs right after a park reach it.
    for _ in 0..<50 {
      HelperTeam.park(helpers: 1)
      onHelpers.withLock { $0 += HelperTeam.run(chunks: 8, helpers: 1) { _, _ in usleep(200) } }
    }
    #expect(onHelpers.withLock { $0 } > 0, "after a park no chunk ran on a helper")
  }

  @Test func writesOfHelpersAreVisibleToTheCaller() {
    // Plain (non-atomic) writes by whichever thread ran a chunk, read by the caller after the call.
    var buffer = [Int](repeating: 0, count: 4096)
    buffer.withUnsafeMutableBufferPointer { b in
      let base = b.baseAddress!
      for round in 1...300 {
        HelperTeam.run(chunks: 16, helpers: 1) { chunk, _ in
          for i in (chunk * 256)..<((chunk + 1) * 256) { base[i] = round &* 4096 &+ i }
        }
        #expect((0..<4096).allSatisfy { base[$0] == round &* 4096 &+ $0 })
        if round % 100 == 0 { usleep(1_000) }
      }
    }
  }
}
