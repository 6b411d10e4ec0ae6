/// Errors ConvNet reports for bad shapes, names or inputs, instead of crashing.
public enum ConvNetError: Error, Equatable, Sendable, CustomStringConvertible {
  case shapeMismatch(String)
  case invalidArgument(String)
  /// A kernel could not allocate its working memory (the layer's output was not computed).
  case outOfMemory(String)
  case unknownParameter(String)
  case backwardBeforeForward(layer: String)
  case io(String)
  /// Data-parallel ranks no longer hold the same weights (or a collective failed).
  case replicasDiverged(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let m): "shape mismatch: \(m)"
    case .invalidArgument(let m): "invalid argument: \(m)"
    case .outOfMemory(let m): "out of memory: \(m)"
    case .unknownParameter(let n): "no parameter named \(n)"
    case .backwardBeforeForward(let l): "\(l): backward called without a training-mode forward"
    case .io(let m): "i/o: \(m)"
    case .replicasDiverged(let m): "data-parallel ranks diverged: \(m)"
    }
  }
}
