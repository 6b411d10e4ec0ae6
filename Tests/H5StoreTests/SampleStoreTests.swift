import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct SampleStoreTests {
  func write(_ path: String, counts: [String: Int] = ["train": 23, "validation": 9], deflate: Int? = nil)
    throws
  {
    let writer = try SampleStoreWriter(
      path: path, imageShape: [4, 5, 3], splits: ["train", "validation"], chunkImages: 4, deflate: deflate,
      metadata: testMetadata)
    try writeSyntheticStore(writer, counts: counts, batch: 5)
  }

  @Test(arguments: [nil, 3] as [Int?])
  func readsWhatWasWritten(deflate: Int?) throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try write(path, deflate: deflate)
      let store = try SampleStore(path: path)
      #expect(store.metadata == testMetadata)
      #expect(store.imageShape == [4, 5, 3])
      #expect(store.chunkImages == 4)
      #expect(store.deflate == deflate)
      #expect(store.splits == ["train", "validation"])
      #expect(try store.count(of: "train") == 23)
      #expect(try store.count(of: "validation") == 9)
      let expected = syntheticBatch("train", 6..<19)
      let batch = try store.batch(of: "train", range: 6..<19)
      #expect(batch.images == expected.images)
      #expect(batch.labels == expected.labels)
      #expect(batch.provenance == expected.provenance)
      #expect(
        try store.steering(of: "validation", range: 0..<9) == syntheticBatch("validation", 0..<9).labels)
      try store.verify()
      #expect(throws: H5StoreError.self) { try store.images(of: "train", range: 20..<24) }
      #expect(throws: H5StoreError.self) { try store.count(of: "test") }
    }
  }

  @Test func refusesIncompleteNotHDF5WrongFormatWrongVersionAndTruncated() throws {
    try withTemporaryDirectory { dir in
      let unfinished = dir.appendingPathComponent("unfinished.h5").path
      let writer = try SampleStoreWriter(
        path: unfinished, imageShape: [4, 5, 3], splits: ["train"], metadata: testMetadata)
      try writer.append(syntheticBatch("train", 0..<3), to: "train")
      try writer.close()
      #expect(throws: H5StoreError.incomplete(path: unfinished)) { try SampleStore(path: unfinished) }

      let text = dir.appendingPathComponent("text.h5").path
      try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: text))
      #expect(throws: H5StoreError.notHDF5(path: text, detail: "no HDF5 signature")) {
        try SampleStore(path: text)
      }

      #expect(
        throws: H5StoreError.wrongFormat(
          path: fixturePath("h5py_keras_like.h5"), found: "HDF5 without a 'format' attribute")
      ) {
        try SampleStore(path: fixturePath("h5py_keras_like.h5"))
      }

      let future = dir.appendingPathComponent("future.h5").path
      try write(future)
      let file = try H5File(opening: future, mode: .readWrite)
      try file.root().setAttribute("format_version", Int32(99))
      try file.close()
      #expect(throws: H5StoreError.unsupportedVersion(path: future, found: 99, supported: 1)) {
        try SampleStore(path: future)
      }

      let whole = dir.appendingPathComponent("whole.h5").path
      try write(whole)
      let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
      for keep in [bytes.count - 1, bytes.count / 2, 1000] {
        let cut = dir.appendingPathComponent("cut-\(keep).h5").path
        try bytes.prefix(keep).write(to: URL(fileURLWithPath: cut))
        #expect(throws: H5StoreError.self, "truncated to \(keep) bytes") {
          let store = try SampleStore(path: cut)
          try store.verify()
        }
      }
    }
  }

  @Test(.enabled(if: h5pyPython != nil, "needs BC_TEST_PYTHON with h5py"))
  func h5pyReadsTheStore() throws {
    let python = try #require(h5pyPython)
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try write(path)
      let dump = try h5pyDump(path, python: python)
      let objects = try #require(dump["objects"] as? [String: [String: Any]])
      let images = try #require(objects["/train/images"])
      #expect(images["shape"] as? [Int] == [23, 4, 5, 3])
      #expect(images["chunks"] as? [Int] == [4, 4, 5, 3])
      #expect(images["dtype"] as? String == "|u1")
      let expected = syntheticBatch("train", 0..<23)
      #expect(images["sum"] as? Double == Double(expected.images.reduce(0) { $0 + Int($1) }))
      let steering = try #require(objects["/validation/steering"])
      #expect(
        (steering["head"] as? [Double])?.map { Float($0) } == syntheticBatch("validation", 0..<9).labels)
      let attrs = try #require(objects["/"]?["attrs"] as? [String: [String: Any]])
      #expect(attrs["format"]?["value"] as? String == "BehavioralCloning.SampleStore")
      #expect(attrs["complete"]?["value"] as? [Double] == [1])
      #expect(attrs["splits"]?["value"] as? [String] == ["train", "validation"])
    }
  }

  #if os(Linux)
    /// A real SIGKILL: this test binary runs `childWriter` below in a child process, kills it while
    /// it appends, and resumes the file it left.
    @Test(arguments: [0, 700, 3000])
    func killedWriterProcessResumesToTheUninterruptedStore(delayMicroseconds: Int) throws {
      try withTemporaryDirectory { dir in
        let reference = dir.appendingPathComponent("reference.h5").path
        try writeSyntheticStore(Self.childWriter(reference), counts: Self.childCounts, batch: 5)
        let path = dir.appendingPathComponent("killed.h5").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        process.arguments = ["--testing-library", "swift-testing", "--filter", "childWriterForKillTest"]
        process.environment = ProcessInfo.processInfo.environment.merging(["BC_H5_CHILD_STORE": path]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for 20 committed appends, then kill at an arbitrary moment of a later one.
        var seen = 0
        var buffer = Data()
        while seen < 20 {
          let data = out.fileHandleForReading.availableData
          if data.isEmpty { break }
          buffer.append(data)
          seen = String(decoding: buffer, as: UTF8.self).components(separatedBy: "committed").count - 1
        }
        usleep(UInt32(delayMicroseconds))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the child must have been killed mid-write")
        #expect(throws: H5StoreError.self) { try SampleStore(path: path) }
        let resumed = try Self.childWriter(path)
        #expect(try resumed.resumePoint(for: "train") >= 20 * 5 || resumed.opening != .resumed)
        try writeSyntheticStore(resumed, counts: Self.childCounts, batch: 5)
        let a = try SampleStore(path: reference)
        let b = try SampleStore(path: path)
        for split in ["train", "validation"] {
          #expect(try a.checksums(of: split) == b.checksums(of: split))
          let n = try a.count(of: split)
          #expect(try a.images(of: split, range: 0..<n) == b.images(of: split, range: 0..<n))
        }
      }
    }

    static let childCounts = ["train": 4000, "validation": 500]

    static func childWriter(_ path: String) throws -> SampleStoreWriter {
      try SampleStoreWriter(
        path: path, imageShape: [16, 16, 3], splits: ["train", "validation"], chunkImages: 8,
        metadata: testMetadata)
    }

    /// The child half of the kill test; runs only inside that test's child process.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BC_H5_CHILD_STORE"] != nil))
    func childWriterForKillTest() throws {
      let path = try #require(ProcessInfo.processInfo.environment["BC_H5_CHILD_STORE"])
      let writer = try Self.childWriter(path)
      writer.stepHook = { step in
        if step == "committed" {
          FileHandle.standardOutput.write(Data("committed\n".utf8))
        }
      }
      try writeSyntheticStore(writer, counts: Self.childCounts, batch: 5)
    }
  #endif
}
