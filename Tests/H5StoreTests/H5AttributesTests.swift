import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct H5AttributesTests {
  @Test func numbersArraysAndStringsRoundTrip() throws {
    try withTemporaryDirectory { dir in
      let root = try H5File(creating: dir.appendingPathComponent("a.h5").path).root()
      try root.setAttribute("seed", UInt64.max)
      try root.setAttribute("lr", 0.001)
      try root.setAttribute("shape", [Int32(128), 128, 3])
      try root.setAttribute("json", string: "{\"a\": \"ünïcode ✓\"}")
      try root.setAttribute("fixed", string: "tensorflow", encoding: .fixedLength)
      try root.setAttribute("names", strings: ["conv2d_1", "dropout_1", ""])
      try root.setAttribute("vnames", strings: ["a", "ü"], encoding: .variableLength)
      try root.setAttribute("empty", strings: [])
      #expect(try root.attribute("seed", as: UInt64.self) == .max)
      #expect(try root.attribute("lr", as: Double.self) == 0.001)
      #expect(try root.arrayAttribute("shape", as: Int32.self) == [128, 128, 3])
      #expect(try root.arrayAttribute("shape", as: Double.self) == [128, 128, 3])  // converted
      #expect(try root.stringAttribute("json") == "{\"a\": \"ünïcode ✓\"}")
      #expect(try root.stringAttribute("fixed") == "tensorflow")
      #expect(try root.stringArrayAttribute("names") == ["conv2d_1", "dropout_1", ""])
      #expect(try root.stringArrayAttribute("vnames") == ["a", "ü"])
      #expect(try root.stringArrayAttribute("empty") == [])
      #expect(
        try root.attributeNames() == ["empty", "fixed", "json", "lr", "names", "seed", "shape", "vnames"])
      // Replacing changes the type; deleting removes.
      try root.setAttribute("seed", string: "now a string")
      #expect(try root.stringAttribute("seed") == "now a string")
      try root.deleteAttribute("seed")
      #expect(try !root.hasAttribute("seed"))
    }
  }

  @Test func wrongKindsAreTypedErrors() throws {
    try withTemporaryDirectory { dir in
      let root = try H5File(creating: dir.appendingPathComponent("a.h5").path).root()
      try root.setAttribute("text", string: "x")
      try root.setAttribute("pair", [Float(1), 2])
      #expect(throws: H5StoreError.self) { try root.attribute("text", as: Int32.self) }
      #expect(throws: H5StoreError.self) { try root.stringAttribute("pair") }
      #expect(throws: H5StoreError.self) { try root.attribute("pair", as: Float.self) }  // two values
      #expect(throws: H5StoreError.missingObject(path: "\(root.file.path):/@nope")) {
        try root.attribute("nope", as: Int32.self)
      }
      #expect(throws: H5StoreError.self) { try root.setAttribute("nul", string: "a\u{0}b") }
    }
  }
}
