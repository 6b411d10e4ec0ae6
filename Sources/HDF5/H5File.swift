import CHDF5
import Foundation

/// An open HDF5 file. Closing is deterministic: `close()` (or the last reference going away) closes
/// the file and every object opened from it; objects used afterwards throw `H5StoreError.closed`.
/// Thread-safe: every call runs under H5Store's global HDF5 lock.
public final class H5File: @unchecked Sendable {
  public enum Mode: Sendable {
    case readOnly
    case readWrite
  }

  public let path: String
  public let mode: Mode
  // Both guarded by the global HDF5 lock.
  package private(set) var id: hid_t
  private var open: Bool

  /// Creates a new HDF5 file (superblock version 0, the layout h5py and Keras write by default).
  /// With `overwrite: false` an existing file is an error.
  public init(creating path: String, overwrite: Bool = true) throws {
    self.path = path
    self.mode = .readWrite
    self.id = try withHDF5 {
      let fapl = try H5File.strongCloseAccessList(path)
      defer { H5Pclose(fapl) }
      let flags = overwrite ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
      return try h5Check(H5Fcreate(path, flags, chdf5_p_default(), fapl), "H5Fcreate", path)
    }
    self.open = true
  }

  /// Opens an existing HDF5 file. A missing file, or one that is not HDF5, throws a specific error.
  public init(opening path: String, mode: Mode = .readOnly) throws {
    self.path = path
    self.mode = mode
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw H5StoreError.fileNotFound(path: path)
    }
    self.id = try H5File.open(path, mode: mode, onLockRetry: nil)
    self.open = true
  }

  /// `onLockRetry` is called before each retry of a lock found held (tests release it there).
  init(opening path: String, mode: Mode, onLockRetry: ((Int) -> Void)?) throws {
    self.path = path
    self.mode = mode
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw H5StoreError.fileNotFound(path: path)
    }
    self.id = try H5File.open(path, mode: mode, onLockRetry: onLockRetry)
    self.open = true
  }

  /// HDF5 locks the files it opens (flock). A child process that another thread is spawning holds a
  /// copy of every descriptor, a just-closed one included, until it execs (HDF5 opens without
  /// close-on-exec; Foundation's Process closes the copies in the child, but only once it runs):
  /// a lock found held is retried, waits growing from 10 to 100 ms, for about 2 s before it is
  /// reported, because on a loaded machine the child can wait that long to be scheduled.
  private static func open(_ path: String, mode: Mode, onLockRetry: ((Int) -> Void)?) throws -> hid_t {
    for attempt in 0..<LockRetry.attempts {
      do {
        return try openOnce(path, mode: mode)
      } catch H5StoreError.hdf5(_, _, let detail)
        where detail.localizedCaseInsensitiveContains("unable to lock")
      {
        onLockRetry?(attempt)
        LockRetry.wait(attempt)
      }
    }
    return try openOnce(path, mode: mode)
  }

  private static func openOnce(_ path: String, mode: Mode) throws -> hid_t {
    try withHDF5 {
      let isHDF5 = H5Fis_hdf5(path)
      if isHDF5 <= 0 {
        let detail = isHDF5 == 0 ? "no HDF5 signature" : hdf5ErrorStack()
        throw H5StoreError.notHDF5(path: path, detail: detail)
      }
      let fapl = try H5File.strongCloseAccessList(path)
      defer { H5Pclose(fapl) }
      let flags = mode == .readOnly ? chdf5_f_acc_rdonly() : chdf5_f_acc_rdwr()
      let id = H5Fopen(path, flags, fapl)
      if id < 0 {
        let detail = hdf5ErrorStack()
        // Another process holding the file (HDF5 locks files it opens) is not damage.
        if detail.localizedCaseInsensitiveContains("unable to lock") {
          throw H5StoreError.hdf5(call: "H5Fopen", object: path, detail: detail)
        }
        // The signature was found, so the damage is further in: a truncated or overwritten file.
        throw H5StoreError.notHDF5(path: path, detail: detail)
      }
      return id
    }
  }

  private static func strongCloseAccessList(_ path: String) throws -> hid_t {
    let fapl = try h5Check(H5Pcreate(chdf5_p_file_access()), "H5Pcreate(file access)", path)
    // STRONG: closing the file closes every object still open in it, so close() is final.
    try h5Check(
      H5Pset_fclose_degree(fapl, H5F_close_degree_t(UInt32(chdf5_close_strong()))), "H5Pset_fclose_degree",
      path)
    return fapl
  }

  deinit {
    withHDF5 {
      if open { _ = closeFile(id, path) }
    }
  }

  public var isOpen: Bool { withHDF5 { open } }

  /// The root group `/`.
  public func root() throws -> H5Group {
    try withHDF5 {
      try checkOpen(path)
      let gid = try h5Check(H5Gopen2(id, "/", chdf5_p_default()), "H5Gopen2", "\(path):/")
      return H5Group(file: self, path: "/", id: gid)
    }
  }

  /// Writes every cached change to the operating system. After `flush()` returns, the data survives
  /// the process being killed (not a power loss: that needs the OS to sync its page cache).
  ///
  /// A failed flush closes the file: HDF5's metadata cache may then hold entries it cannot place,
  /// and every later call (or the close in `deinit`, or HDF5's own at-exit close) would try to
  /// write them again. Closing at once keeps the failure to this one error; the object handles
  /// opened from the file are not touched again (they check `isOpen` first).
  public func flush() throws {
    try withHDF5 {
      try checkOpen(path)
      if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 {
        let error = H5StoreError.hdf5(call: "H5Fflush", object: path, detail: hdf5ErrorStack())
        open = false
        _ = closeFile(id, path)
        _ = hdf5ErrorStack()  // clear what the close reported; the flush error is the one to tell
        throw error
      }
    }
  }

  /// Closes the file and every object opened from it. Closing twice is harmless.
  public func close() throws {
    try withHDF5 {
      guard open else { return }
      open = false
      try h5Check(closeFile(id, path), "H5Fclose", path)
    }
  }

  /// Throws `.closed` when the file was closed. Call with the lock held.
  package func checkOpen(_ object: String) throws {
    guard open else { throw H5StoreError.closed(object: object) }
  }

  /// Whether the file is still open, without the error. Call with the lock held.
  package var openUnderLock: Bool { open }
}

/// Closes the file's objects, then the file (see `chdf5_close_file_objects`). Lock held.
private func closeFile(_ id: hid_t, _ path: String) -> herr_t {
  _ = chdf5_close_file_objects(id)
  let status = H5Fclose(id)
  if status < 0 { quarantineAfterFailedClose(path) }
  return status
}

/// Descriptors that pin the inodes of files whose `H5Fclose` failed, for the life of the process.
private nonisolated(unsafe) var quarantinedDescriptors: [Int32] = []

/// A failed `H5Fclose` can leave the file in HDF5's list of open files, identified by device and
/// inode, with its low-level driver already gone. If the file is then deleted and a new file gets
/// the same inode, HDF5 takes the new file for the stale one ("unable to truncate a file which is
/// already open") and dereferences what the failed close freed. Holding a descriptor of our own
/// keeps that inode from being reused, so the stale entry can never match another file. Call with
/// the HDF5 lock held (it guards the array too).
private func quarantineAfterFailedClose(_ path: String) {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  if fd >= 0 { quarantinedDescriptors.append(fd) }
}
