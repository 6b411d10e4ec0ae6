import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct H5FileTests {
  @Test func createWriteCloseReopenReadOnly() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("a.h5").path
      let file = try H5File(creating: path)
      try file.root().createGroup("g").setAttribute("n", Int32(7))
      try file.close()
      #expect(!file.isOpen)
      let reopened = try H5File(opening: path)
      #expect(try reopened.root().group("g").attribute("n", as: Int32.self) == 7)
      // Read-only files refuse writes with an HDF5 error naming the call and object.
      #expect(throws: H5StoreError.self) { try reopened.root().createGroup("h") }
    }
  }

  /// A lock held for a moment (as by a child process between fork and exec, which holds a copy of
  /// every descriptor) is waited for; a lock that stays is an error. Event-based: the holder lets
  /// go when the open reports its first retry, however slowly either side is scheduled.
  @Test func aLockHeldForAMomentIsWaitedForOneThatStaysIsAnError() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("a.h5").path
      try H5File(creating: path).close()
      let holder = open(path, O_RDONLY)
      #expect(flock(holder, LOCK_EX) == 0)
      var retries = 0
      #expect(throws: H5StoreError.self) {
        try H5File(opening: path, mode: .readOnly, onLockRetry: { _ in retries += 1 })
      }
      #expect(retries == LockRetry.attempts)
      var released = false
      let file = try H5File(
        opening: path, mode: .readOnly,
        onLockRetry: { attempt in
          if attempt == 0 {
            close(holder)
            released = true
          }
        })
      #expect(released && file.isOpen)
    }
  }

  @Test func closeIsDeterministicAndObjectsReportIt() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("a.h5").path
      let file = try H5File(creating: path)
      let group = try file.root().createGroup("g")
      try file.close()
      try file.close()  // twice is harmless
      #expect(throws: H5StoreError.closed(object: "\(path):/g")) { try group.memberNames() }
      // The file is really closed: another handle can now create it afresh.
      let again = try H5File(creating: path)
      #expect(try again.root().memberNames() == [])
    }
  }

  @Test func overwriteFalseRefusesExistingFile() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("a.h5").path
      try H5File(creating: path).close()
      let error = #expect(throws: H5StoreError.self) { try H5File(creating: path, overwrite: false) }
      guard case .hdf5(let call, let object, _)? = error else {
        Issue.record("unexpected \(String(describing: error))")
        return
      }
      #expect(call == "H5Fcreate")
      #expect(object == path)
    }
  }

  @Test func missingNonHDF5AndTruncatedFilesGiveClearErrors() throws {
    try withTemporaryDirectory { dir in
      let missing = dir.appendingPathComponent("missing.h5").path
      #expect(throws: H5StoreError.fileNotFound(path: missing)) { try H5File(opening: missing) }

      let text = dir.appendingPathComponent("text.h5").path
      try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: text))
      #expect {
        try H5File(opening: text)
      } throws: { error in
        guard case .notHDF5(let path, _)? = error as? H5StoreError else { return false }
        return path == text
      }

      // A real file cut after its superblock: the signature is there, the rest is gone.
      let whole = dir.appendingPathComponent("whole.h5").path
      let file = try H5File(creating: whole)
      try file.root().createDataset("d", values: [Float](repeating: 1, count: 4096), shape: [4096])
      try file.close()
      let cut = dir.appendingPathComponent("cut.h5").path
      try Data(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(200)).write(
        to: URL(fileURLWithPath: cut))
      #expect(throws: H5StoreError.self) {
        let opened = try H5File(opening: cut)
        _ = try opened.root().dataset("d").read(as: Float.self)
      }
    }
  }

  @Test func flushMakesDataVisibleToASecondReader() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("a.h5").path
      let file = try H5File(creating: path)
      try file.root().createDataset("d", values: [Int32(1), 2, 3], shape: [3])
      try file.flush()
      // Copying the bytes now is what a killed process would leave behind.
      let copy = dir.appendingPathComponent("copy.h5").path
      try FileManager.default.copyItem(atPath: path, toPath: copy)
      #expect(try H5File(opening: copy).root().dataset("d").read(as: Int32.self) == [1, 2, 3])
      try file.close()
    }
  }

  @Test func libraryVersionIsReported() {
    #expect(hdf5LibraryVersion.split(separator: ".").count == 3)
  }
}
