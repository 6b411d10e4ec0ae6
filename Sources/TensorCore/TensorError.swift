/// Errors TensorCore reports for bad shapes or arguments instead of crashing.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
  case shapeMismatch(String)
  case invalidArgument(String)
  /// A kernel could not allocate its working memory (the output was not computed).
  case outOfMemory(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let m): "shape mismatch: \(m)"
    case .invalidArgument(let m): "invalid argument: \(m)"
    case .outOfMemory(let m): "out of memory: \(m)"
    }
  }
}
