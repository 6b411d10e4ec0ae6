import CHDF5
import Foundation

// libhdf5 is not safe to call concurrently unless built thread-safe, and even then it serializes
// every call internally. Every HDF5 call in this module runs inside `withHDF5`, which holds one
// process-wide recursive lock (recursive so that a handle's deinit can close inside another locked
// section). Work that needs no HDF5 (copies, shuffles) stays outside it.
private let hdf5Lock = NSRecursiveLock()

private let hdf5Ready: Bool = {
  // No at-exit teardown. A failed H5Fclose (a full disk, or metadata a killed writer tore) leaves
  // the file's objects in HDF5's id tables with the file's structures freed; `H5_term_library` at
  // exit then closes them again and dereferences null. Files are closed by `H5File.close()` or
  // deinit, and a writer's committed state is flushed before it counts, so exiting without the
  // teardown leaves exactly what a SIGKILL at that moment would (which a resume handles).
  _ = H5dont_atexit()
  _ = H5open()
  return true
}()

/// Runs `body` holding the global HDF5 lock. Every call into libhdf5 must go through here.
package func withHDF5<T>(_ body: () throws -> T) rethrows -> T {
  hdf5Lock.lock()
  defer { hdf5Lock.unlock() }
  _ = hdf5Ready
  // A thread-safe libhdf5 (Debian's is) keeps error-printing settings per thread.
  _ = chdf5_silence_errors()
  return try body()
}

/// HDF5's current error stack as one line, then cleared. Call with the lock held.
package func hdf5ErrorStack() -> String {
  var buffer = [CChar](repeating: 0, count: 1024)
  buffer.withUnsafeMutableBufferPointer { chdf5_error_message($0.baseAddress, $0.count) }
  let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  return message.isEmpty ? "no HDF5 error message" : message
}

/// The one place an HDF5 status becomes a Swift error: negative ids and statuses throw,
/// naming the call and the object. Call with the lock held.
@discardableResult
package func h5Check<T: BinaryInteger>(_ status: T, _ call: String, _ object: String) throws -> T {
  if status < 0 {
    throw H5StoreError.hdf5(call: call, object: object, detail: hdf5ErrorStack())
  }
  return status
}

/// `htri_t` results: true, false, or a thrown error.
package func h5CheckBool(_ status: htri_t, _ call: String, _ object: String) throws -> Bool {
  try h5Check(status, call, object) > 0
}

/// The version of the libhdf5 this process runs, e.g. "1.10.8".
public var hdf5LibraryVersion: String {
  withHDF5 {
    var major: UInt32 = 0
    var minor: UInt32 = 0
    var release: UInt32 = 0
    _ = H5get_libversion(&major, &minor, &release)
    return "\(major).\(minor).\(release)"
  }
}
