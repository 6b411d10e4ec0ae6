import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct H5GroupTests {
  @Test func nestedGroupsMembersAndKinds() throws {
    try withTemporaryDirectory { dir in
      let file = try H5File(creating: dir.appendingPathComponent("g.h5").path)
      let root = try file.root()
      let weights = try root.createGroup("model_weights/dense_1")  // intermediate groups are created
      try weights.createDataset("dense_1/kernel:0", values: [Float](repeating: 0, count: 6), shape: [3, 2])
      try root.createGroup("b")
      #expect(try root.memberNames() == ["b", "model_weights"])
      #expect(try root.group("model_weights").memberNames() == ["dense_1"])
      #expect(try root.kind(of: "model_weights") == .group)
      #expect(try root.kind(of: "model_weights/dense_1/dense_1/kernel:0") == .dataset)
      #expect(weights.path == "/model_weights/dense_1")
      #expect(try root.contains("model_weights/dense_1/dense_1/kernel:0"))
      #expect(try !root.contains("model_weights/nope/deeper"))
      #expect(throws: H5StoreError.missingObject(path: "\(file.path):/nope")) { try root.group("nope") }
      #expect(throws: H5StoreError.missingObject(path: "\(file.path):/b/x")) {
        try root.group("b").dataset("x")
      }
    }
  }

  @Test func createDatasetValidatesArguments() throws {
    try withTemporaryDirectory { dir in
      let root = try H5File(creating: dir.appendingPathComponent("g.h5").path).root()
      #expect(throws: H5StoreError.self) { try root.createDataset("a", values: [Float(1), 2], shape: [3]) }
      #expect(throws: H5StoreError.self) {
        try root.createDataset("b", of: UInt8.self, shape: [0, 2], maxShape: [nil, 2])  // no chunks
      }
      #expect(throws: H5StoreError.self) {
        try root.createDataset("c", of: UInt8.self, shape: [4], chunks: [2], deflate: 11)
      }
      // Creating an existing name is an HDF5 error that names the object.
      try root.createGroup("g")
      let error = #expect(throws: H5StoreError.self) { try root.createGroup("g") }
      #expect(error?.description.contains(":/g") == true)
    }
  }
}
