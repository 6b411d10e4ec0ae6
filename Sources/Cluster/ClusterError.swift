// Errors of the Cluster module: an MPI call that failed, or a collective that waited too long.
public enum ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
  /// An MPI call returned an error code; `reason` is MPI's own text.
  case mpi(call: String, code: Int32, reason: String)
  /// A collective did not complete within the timeout: a peer rank is dead or hung.
  case timeout(call: String, seconds: Double)

  public var description: String {
    switch self {
    case .mpi(let call, let code, let reason): "\(call) failed (MPI error \(code)): \(reason)"
    case .timeout(let call, let seconds):
      "\(call) did not complete within \(Int(seconds)) s: a peer rank is dead or hung"
    }
  }
}
