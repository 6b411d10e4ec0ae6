import Foundation

#if canImport(Glibc)
  import Glibc
#endif

// libhdf5 can crash or hang on a malformed file, and does not fail the same way twice, so checking
// a file in a child and then opening it again in the parent is no protection. Instead the child
// (this same executable, re-run with BC_ISOLATED_READ set) reads the file and sends the parent the
// values, in a length-checked form (`H5SnapshotCoding`); the parent never opens the file itself.
// A child killed by a signal or past the timeout becomes "<path> is damaged: ...".
//
// Every command that reads untrusted files starts with `IsolatedRead.serveIfChild()`.

/// Device, inode, size and modification time: the parent opens a store the child checked only
/// if these are unchanged.
public struct FileIdentity: Sendable, Equatable {
  let device: UInt64
  let inode: UInt64
  let size: Int64
  let modified: Int64
  let modifiedNanoseconds: Int64

  public init?(path: String) {
    var s = stat()
    guard stat(path, &s) == 0 else { return nil }
    device = UInt64(s.st_dev)
    inode = UInt64(s.st_ino)
    size = Int64(s.st_size)
    modified = Int64(s.st_mtim.tv_sec)
    modifiedNanoseconds = Int64(s.st_mtim.tv_nsec)
  }
}

public enum IsolatedRead {
  static let taskVariable = "BC_ISOLATED_READ"
  static let pathVariable = "BC_ISOLATED_PATH"

  /// False when BC_NO_ISOLATION is set (commands also take --no-isolation).
  public static var enabledByEnvironment: Bool {
    ProcessInfo.processInfo.environment["BC_NO_ISOLATION"] == nil
  }

  /// Seconds a child may take (BC_ISOLATION_TIMEOUT, default 60).
  public static var timeout: Double {
    ProcessInfo.processInfo.environment["BC_ISOLATION_TIMEOUT"].flatMap(Double.init).flatMap {
      $0 > 0 ? $0 : nil
    } ?? 60
  }

  /// In a child started by this type: does the read, writes the answer to standard output and
  /// returns the exit status for `main` to exit with. Otherwise nil.
  /// `tasks` are the reads other modules run in a child, by name (`IsolatedRead.sampleStoreTasks`).
  public static func serveIfChild(tasks: [String: @Sendable (String) -> H5SnapshotGroup] = [:]) -> Int32? {
    let environment = ProcessInfo.processInfo.environment
    guard let task = environment[taskVariable], let path = environment[pathVariable] else { return nil }
    let result: Result<H5SnapshotGroup, Error>
    switch task {
    case "snapshot": result = Result { try H5Snapshot.take(path: path) }
    default:
      guard let body = tasks[task] else { return 2 }
      result = .success(body(path))
    }
    let bytes = H5SnapshotCoding.encode(result)
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
      if n < 0, errno == EINTR { continue }
      guard n > 0 else { return 3 }
      written += n
    }
    return 0
  }

  /// The snapshot of `path`, read in a child when `isolated`, else in this process.
  public static func snapshot(path: String, isolated: Bool) throws -> H5SnapshotGroup {
    guard isolated else { return try H5Snapshot.take(path: path) }
    guard FileManager.default.fileExists(atPath: path) else { throw H5StoreError.fileNotFound(path: path) }
    switch try runChild(task: "snapshot", path: path) {
    case .snapshot(let group): return group
    case .failure(let text): throw H5StoreError.readFailed(path: path, detail: text)
    }
  }

  // MARK: the child

  /// Runs this executable as a child doing `task` on `path`; its decoded answer.
  package static func runChild(task: String, path: String) throws -> ChildAnswer {
    func damaged(_ detail: String) -> H5StoreError { .corrupt(path: path, detail: detail) }
    // The kernel's link to the running image, not the path it resolves to: after a rebuild or an
    // upgrade replaced or removed the file (an hours-long training reaching its DAgger rounds),
    // that path is gone or holds another build, while /proc/self/exe still execs this one.
    let executable = "/proc/self/exe"
    guard FileManager.default.fileExists(atPath: executable) else {
      throw H5StoreError.readFailed(
        path: path, detail: "cannot find this executable to read the file in a child (no /proc/self/exe)")
    }
    // argv[0] names the program for ps and crash reports.
    let name = (try? FileManager.default.destinationOfSymbolicLink(atPath: executable)) ?? executable
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
      throw H5StoreError.readFailed(path: path, detail: "pipe: \(String(cString: strerror(errno)))")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    // A crashing child's backtrace is noise: the parent reports the crash in one line.
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])

    var environment = ProcessInfo.processInfo.environment
    environment[taskVariable] = task
    environment[pathVariable] = path
    let arguments = [name]
    let cArguments = arguments.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in cArguments { free(p) }
      for p in cEnvironment { free(p) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
    close(fds[1])
    guard spawned == 0 else {
      close(fds[0])
      throw H5StoreError.readFailed(
        path: path, detail: "cannot start a child: \(String(cString: strerror(spawned)))")
    }

    let limit = timeout
    let deadline = Date().addingTimeInterval(limit)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var timedOut = false
    while true {
      let remaining = deadline.timeIntervalSinceNow
      if remaining <= 0 {
        timedOut = true
        break
      }
      var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(remaining * 1000 + 1, 1_000_000)))
      if ready < 0 {
        if errno == EINTR { continue }
        break
      }
      if ready == 0 { continue }
      let n = read(fds[0], &buffer, buffer.count)
      if n < 0, errno == EINTR { continue }
      if n <= 0 { break }
      bytes += buffer[0..<n]
    }
    close(fds[0])
    if timedOut { kill(pid, SIGKILL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if timedOut { throw damaged("reading it did not finish within \(Int(limit)) s (libhdf5 hung)") }
    let signal = status & 0x7f
    if signal != 0 && signal != 0x7f {
      throw damaged("reading it crashed libhdf5 (signal \(signal))")
    }
    let exitStatus = (status >> 8) & 0xff
    guard exitStatus == 0 else { throw damaged("the reading child exited with status \(exitStatus)") }
    guard let answer = H5SnapshotCoding.decode(bytes) else {
      throw damaged("the reading child's answer is malformed (\(bytes.count) bytes)")
    }
    return answer
  }
}

extension Result {
  package var failure: Failure? {
    if case .failure(let error) = self { return error }
    return nil
  }
}
