// The errors DrivingData throws at its I/O boundary: files, codecs, recordings.

/// What went wrong reading or writing recordings and images. Every case names the file involved.
public enum DrivingDataError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The bytes are not a decodable image (corrupt, truncated, unsupported). `path` is nil for memory.
  case corruptImage(path: String?, reason: String)
  /// A file could not be opened or read.
  case unreadableFile(path: String, reason: String)
  /// A file or folder could not be created or written.
  case unwritableFile(path: String, reason: String)
  /// An image a recording refers to is in none of the places it is looked for.
  case missingImage(path: String)
  /// A recording (CSV) that cannot be used at all, e.g. no rows.
  case badRecording(path: String, reason: String)
  /// A caller's argument out of range (image size, crop rectangle, option).
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .corruptImage(let path, let reason): "corrupt image \(path ?? "<memory>"): \(reason)"
    case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
    case .unwritableFile(let path, let reason): "cannot write \(path): \(reason)"
    case .missingImage(let path): "missing image \(path)"
    case .badRecording(let path, let reason): "bad recording \(path): \(reason)"
    case .invalidArgument(let message): "invalid argument: \(message)"
    }
  }
}
