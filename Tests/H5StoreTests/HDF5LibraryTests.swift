import CHDF5
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct HDF5LibraryTests {
  @Test func h5CheckNamesTheCallTheObjectAndHDF5sOwnReason() throws {
    let error = #expect(throws: H5StoreError.self) {
      try withHDF5 { try h5Check(H5Gopen2(-1, "/x", chdf5_p_default()), "H5Gopen2", "f.h5:/x") }
    }
    guard case .hdf5(let call, let object, let detail)? = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(call == "H5Gopen2")
    #expect(object == "f.h5:/x")
    #expect(!detail.isEmpty && detail != "no HDF5 error message")
    #expect(try withHDF5 { try h5Check(Int32(3), "call", "object") } == 3)
  }

  @Test func serializesCallsFromManyThreads() async throws {
    // Many threads creating and reading attributes at once: the global lock keeps libhdf5 sane.
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<8 {
        group.addTask {
          try withTemporaryDirectory { dir in
            let root = try H5File(creating: dir.appendingPathComponent("t\(task).h5").path).root()
            for index in 0..<50 {
              try root.setAttribute("a\(index)", Int64(task * 1000 + index))
              #expect(try root.attribute("a\(index)", as: Int64.self) == Int64(task * 1000 + index))
            }
          }
        }
      }
      try await group.waitForAll()
    }
  }
}
