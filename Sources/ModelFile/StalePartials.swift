import ConvNet
import Foundation

/// A save writes `.<name>.<pid>.partial` beside the model and renames it over the model when
/// complete. A writer killed mid-save leaves its partial file behind; the next save of the same
/// name removes those whose writer no longer runs, so killed saves do not pile up beside a model.
enum StalePartials {
  /// The temporary file this process writes before renaming it to `path`.
  static func temporaryPath(for path: String, pid: pid_t = getpid()) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    return (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).\(pid).partial"
  }

  /// Removes the partial files of `path` left by processes that have exited. A file whose pid runs
  /// (this process, another writer, or an unrelated process that reused the pid) is left alone:
  /// only a partial of a dead process is certainly abandoned. Failures are ignored; a leftover
  /// file costs disk space, never correctness.
  static func removeAbandoned(besides path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let prefix = ".\(name)."
    guard
      let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)
    else { return }
    for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(".partial") {
      let middle = entry.dropFirst(prefix.count).dropLast(".partial".count)
      guard let pid = pid_t(middle), pid > 0, pid != getpid() else { continue }
      if kill(pid, 0) == -1 && errno == ESRCH {
        unlink(temporaryPath(for: path, pid: pid))
      }
    }
  }
}
