// Splitting one short job (a layer of a batch-1 forward, tens of microseconds) across cores. A
// `DispatchQueue.concurrentPerform` costs about as much as the job; the helpers of
// CConvKernels/helper_team.c take a job from a store they spin on (see helper_team.h).
import CConvKernels

package enum HelperTeam {
  /// `body(chunk, worker)` for every chunk in `0..<chunks`, on the calling thread (worker 0) and up
  /// to `helpers` idle helper threads (workers 1...helpers; concurrent calls never share a worker
  /// index); returns when all have returned, with how many chunks helpers ran. Helpers busy with
  /// another caller are not waited for, so which thread runs a chunk depends on timing: chunks
  /// must write disjoint memory and compute the same whoever runs them. `body` runs on several
  /// threads at once although it is not `@Sendable` (callers capture raw pointers to their
  /// buffers): what it touches besides its own chunk must be thread-safe.
  @discardableResult
  package static func run(chunks: Int, helpers: Int, _ body: (_ chunk: Int, _ worker: Int) -> Void) -> Int {
    guard chunks > 1, helpers > 0 else {
      for chunk in 0..<max(chunks, 0) { body(chunk, 0) }
      return 0
    }
    return withoutActuallyEscaping(body) { escaping in
      var job = Job(body: escaping)
      return withUnsafeMutablePointer(to: &job) { pointer in
        Int(
          bc_team_run(
            { context, chunk, worker in
              context!.assumingMemoryBound(to: Job.self).pointee.body(Int(chunk), Int(worker))
            },
            pointer, Int32(clamping: chunks), Int32(clamping: helpers)))
      }
    }
  }

  /// Sends up to `helpers` idle helper threads to sleep now instead of spinning on: for a caller
  /// done with split jobs for a while, whose next step wakes another thread (a reply's write).
  package static func park(helpers: Int) {
    guard helpers > 0 else { return }
    bc_team_park(Int32(clamping: helpers))
  }

  /// Helper threads started so far.
  package static var startedHelpers: Int { Int(bc_team_helpers()) }

  /// Chunks helpers have run since the process started, for every caller.
  package static var helperChunks: Int { bc_team_helper_chunks() }

  private struct Job {
    let body: (Int, Int) -> Void
  }
}
