// Whole-file reads and writes through POSIX calls: no Foundation copies on the decode hot path.
#if canImport(Glibc)
  import Glibc
  private let systemRead = Glibc.read
  private let systemWrite = Glibc.write
#elseif canImport(Darwin)
  import Darwin
  private let systemRead = Darwin.read
  private let systemWrite = Darwin.write
#endif

package enum FileIO {
  /// Reads the whole file at `path`.
  package static func read(_ path: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try read(path, into: &bytes)
    return bytes
  }

  /// Reads the whole file at `path` into `bytes`, reusing its storage.
  package static func read(_ path: String, into bytes: inout [UInt8]) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw DrivingDataError.unreadableFile(path: path, reason: errnoText()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw DrivingDataError.unreadableFile(path: path, reason: errnoText())
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      throw DrivingDataError.unreadableFile(path: path, reason: "is a directory")
    }
    // Read to EOF even if the file grew since fstat (one being appended to).
    var total = 0
    var capacity = Int(info.st_size) + 4096
    var failure: Int32 = 0
    while true {
      let start = total
      var grown = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
        if start > 0 {
          _ = UnsafeMutableBufferPointer(rebasing: buffer[0..<start]).initialize(from: bytes[0..<start])
        }
        count = start
        while count < capacity {
          let got = systemRead(fd, buffer.baseAddress! + count, capacity - count)
          if got < 0 {
            if errno == EINTR { continue }
            failure = errno
            return
          }
          if got == 0 { return }
          count += got
        }
      }
      if failure != 0 {
        errno = failure
        throw DrivingDataError.unreadableFile(path: path, reason: errnoText())
      }
      total = grown.count
      swap(&bytes, &grown)
      if total < capacity { return }
      capacity *= 2
    }
  }

  /// Writes `bytes` to `path` atomically: a temporary file beside it, then rename.
  /// Readers never see a half-written file, and a failure leaves any old file untouched.
  package static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
    let temporary = path + ".part\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw DrivingDataError.unwritableFile(path: path, reason: errnoText()) }
    do {
      try writeAll(fd, bytes, path: path)
      close(fd)
    } catch {
      close(fd)
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let reason = errnoText()
      unlink(temporary)
      throw DrivingDataError.unwritableFile(path: path, reason: reason)
    }
  }

  package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { try writeAtomically($0, to: path) }
  }

  package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
      let written = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw DrivingDataError.unwritableFile(path: path, reason: errnoText())
      }
      offset += written
    }
  }

  package static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  package static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// Size and modification time in nanoseconds, for fingerprints; nil if missing.
  package static func sizeAndModification(_ path: String) -> (size: Int, modified: Int)? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    #if canImport(Glibc)
      let nanoseconds = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
    #else
      let nanoseconds = Int(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int(info.st_mtimespec.tv_nsec)
    #endif
    return (Int(info.st_size), nanoseconds)
  }

  /// Creates `path` and its missing parents (mkdir -p).
  package static func makeDirectories(_ path: String) throws {
    if isDirectory(path) { return }
    let parent = FilePath.parent(of: path)
    if !parent.isEmpty && parent != path { try makeDirectories(parent) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw DrivingDataError.unwritableFile(path: path, reason: errnoText())
    }
  }

  /// Names in a directory (no `.`/`..`), sorted.
  package static func list(_ directory: String) throws -> [String] {
    guard let handle = opendir(directory) else {
      throw DrivingDataError.unreadableFile(path: directory, reason: errnoText())
    }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// `path` made absolute against the current directory (no symlink resolution).
  package static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return FilePath.normalized(path) }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return FilePath.normalized(cwd + "/" + path)
  }

  package static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Path string helpers for `/`-separated local paths.
package enum FilePath {
  package static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  package static func join(_ a: String, _ b: String) -> String {
    if a.isEmpty { return b }
    return a.hasSuffix("/") ? a + b : a + "/" + b
  }

  /// Removes `.` components, doubled and trailing slashes, and resolves `..` lexically.
  package static func normalized(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == "..", let last = parts.last, last != ".." {
        parts.removeLast()
        continue
      }
      parts.append(part)
    }
    let body = parts.joined(separator: "/")
    return path.hasPrefix("/") ? "/" + body : (body.isEmpty ? "." : body)
  }
}
