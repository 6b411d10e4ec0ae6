import Foundation

// A writer only ever replaces a store whole: it builds the new file beside the old one and renames
// it over. libhdf5 cannot be asked to do this: `H5Fcreate` with `H5F_ACC_TRUNC` truncates the file
// first and takes HDF5's lock only afterwards, so creating over a store that another process has
// open (h5py, a training run's loader, another writer) destroys the file and only then reports the
// lock. Every HDF5 open holds an flock on its descriptor (shared to read, exclusive to write), so
// taking that same lock exclusively on the old file before the rename proves nobody has it open
// through libhdf5. (`HDF5_USE_FILE_LOCKING=FALSE` in another process switches its locks off; then
// nothing can tell.)
package enum FileReplacement {
  /// Renames `source` over `destination` unless a process holds `destination` open through HDF5;
  /// then throws `.inUse` and leaves both files as they were. A missing destination is simply
  /// created by the rename.
  package static func replace(_ destination: String, with source: String) throws {
    let held = try lockExclusively(destination)
    defer { if let held { close(held) } }
    guard rename(source, destination) == 0 else {
      throw H5StoreError.invalidArgument(
        "cannot rename \(source) to \(destination): \(String(cString: strerror(errno)))")
    }
  }

  /// The old file's descriptor with an exclusive flock held on it, or nil when there is no file.
  /// A lock found held is tried again as `H5File` does (`LockRetry`): a child process another
  /// thread is spawning holds a copy of every descriptor (HDF5 opens without close-on-exec).
  package static func lockExclusively(_ path: String) throws -> Int32? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT { return nil }
      throw H5StoreError.invalidArgument("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    for attempt in 0...LockRetry.attempts {
      if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
      let failure = errno
      guard failure == EWOULDBLOCK || failure == EINTR else {
        close(fd)
        throw H5StoreError.invalidArgument("cannot lock \(path): \(String(cString: strerror(failure)))")
      }
      if attempt < LockRetry.attempts { LockRetry.wait(attempt) }
    }
    close(fd)
    throw H5StoreError.inUse(path: path)
  }

  /// Drops a lock `lockExclusively` took.
  package static func release(_ fd: Int32) { close(fd) }
}

/// How long a lock found held is waited for (see `H5File.init(opening:)`): 10 ms, growing to 100 ms,
/// about 2 s in all.
enum LockRetry {
  package static let attempts = 25

  package static func wait(_ attempt: Int) {
    usleep(UInt32(min(100, 10 * (attempt + 1))) * 1000)
  }
}
