/// Every failure H5Store reports: HDF5 calls that fail, files that are not what they claim to be,
/// and misuse at the API boundary. Messages name the call and the object involved.
public enum H5StoreError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An HDF5 call failed. `detail` is HDF5's own error stack, outermost: innermost.
  case hdf5(call: String, object: String, detail: String)
  /// The file does not exist or cannot be read at all.
  case fileNotFound(path: String)
  /// The file exists but is not an HDF5 file (or its superblock is unreadable: truncated, overwritten).
  case notHDF5(path: String, detail: String)
  /// A member was asked for that does not exist.
  case missingObject(path: String)
  /// An object exists but has another kind, type or shape than the caller needs.
  case typeMismatch(object: String, expected: String, found: String)
  /// Arguments that do not fit the object (hyperslab outside the extent, wrong element count...).
  case invalidArgument(String)
  /// The file is HDF5 but not a sample store of this format.
  case wrongFormat(path: String, found: String)
  /// A sample store of another format version.
  case unsupportedVersion(path: String, found: Int, supported: Int)
  /// A sample store whose writer never finished (killed, crashed, or still running).
  case incomplete(path: String)
  /// A sample store whose contents disagree with its own bookkeeping (lost data, bad checksum).
  case corrupt(path: String, detail: String)
  /// The object's file was closed.
  case closed(object: String)
  /// The operating system failed a read H5Store made without HDF5 (the loader's direct reads).
  case readFailed(path: String, detail: String)
  /// Another process has the file open through HDF5 (which locks what it opens), so it is not
  /// replaced or written.
  case inUse(path: String)

  public var description: String {
    switch self {
    case .hdf5(let call, let object, let detail): "HDF5 \(call) failed on '\(object)': \(detail)"
    case .fileNotFound(let path): "no such file: \(path)"
    case .notHDF5(let path, let detail): "not an HDF5 file (or its header is damaged): \(path) (\(detail))"
    case .missingObject(let path): "no such HDF5 object: \(path)"
    case .typeMismatch(let object, let expected, let found): "'\(object)' is \(found), expected \(expected)"
    case .invalidArgument(let message): message
    case .wrongFormat(let path, let found):
      "\(path) is not a BehavioralCloning sample store (format: \(found))"
    case .unsupportedVersion(let path, let found, let supported):
      "\(path) is sample store version \(found); this build reads version \(supported)"
    case .incomplete(let path):
      "\(path) is an incomplete sample store (its writer did not finish); rerun the preparation to resume it"
    case .corrupt(let path, let detail): "\(path) is damaged: \(detail)"
    case .closed(let object): "'\(object)' belongs to a closed HDF5 file"
    case .readFailed(let path, let detail): "reading \(path) failed: \(detail)"
    case .inUse(let path):
      "\(path) is open in another process (HDF5 holds a lock on it); close that process, or use another path"
    }
  }
}
