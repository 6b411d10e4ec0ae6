import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct SampleStoreWriterTests {
  let counts = ["train": 23, "validation": 9]

  func makeWriter(_ path: String, metadata: SampleStoreMetadata = testMetadata, deflate: Int? = nil) throws
    -> SampleStoreWriter
  {
    try SampleStoreWriter(
      path: path, imageShape: [4, 5, 3], splits: ["train", "validation"], chunkImages: 4, deflate: deflate,
      metadata: metadata)
  }

  /// The reference: one uninterrupted run.
  func reference(_ dir: URL) throws -> SampleStore {
    let path = dir.appendingPathComponent("reference.h5").path
    try writeSyntheticStore(try makeWriter(path), counts: counts, batch: 5)
    return try SampleStore(path: path)
  }

  func expectSameContents(_ a: SampleStore, _ b: SampleStore) throws {
    for split in ["train", "validation"] {
      #expect(try a.count(of: split) == b.count(of: split))
      #expect(try a.checksums(of: split) == b.checksums(of: split))
      let n = try a.count(of: split)
      #expect(try a.images(of: split, range: 0..<n) == b.images(of: split, range: 0..<n))
      #expect(try a.steering(of: split, range: 0..<n) == b.steering(of: split, range: 0..<n))
      #expect(try a.provenance(of: split, range: 0..<n) == b.provenance(of: split, range: 0..<n))
    }
  }

  @Test func batchBoundariesDoNotChangeTheResult() throws {
    try withTemporaryDirectory { dir in
      let ref = try reference(dir)
      let other = dir.appendingPathComponent("other.h5").path
      try writeSyntheticStore(try makeWriter(other), counts: counts, batch: 3)
      try expectSameContents(ref, try SampleStore(path: other))
    }
  }

  @Test func killAtEveryStepOfEveryAppendResumesToTheSameStore() throws {
    try withTemporaryDirectory { dir in
      let ref = try reference(dir)
      let live = dir.appendingPathComponent("live.h5").path
      // Copy the file at every step of every append: exactly the bytes a SIGKILL there leaves
      // (HDF5 writes with pwrite, no user-space buffering beyond what flush() pushes out).
      let snapshots = SnapshotLog()
      let writer = try makeWriter(live)
      writer.stepHook = { step in snapshots.take(live, step: step, into: dir) }
      try writeSyntheticStore(writer, counts: counts, batch: 5)
      #expect(snapshots.paths.count == 4 * 7)  // 5 + 2 appends, 4 steps each
      for (snapshot, step) in snapshots.paths {
        #expect(throws: H5StoreError.self, "a killed writer's file (\(step)) must not open as complete") {
          try SampleStore(path: snapshot)
        }
        let resumed = try makeWriter(snapshot)
        #expect(resumed.opening == .resumed, "\(step)")
        try writeSyntheticStore(resumed, counts: counts, batch: 5)
        let store = try SampleStore(path: snapshot)
        try store.verify()
        try expectSameContents(ref, store)
      }
    }
  }

  @Test func damagedFilesAreRebuiltToTheSameStore() throws {
    try withTemporaryDirectory { dir in
      let ref = try reference(dir)
      let original = try Data(contentsOf: URL(fileURLWithPath: ref.path))
      var rebuilt = 0
      // Overwrite 64 bytes at spread-out offsets after the 8-byte signature (a file without it is
      // someone else's and is left alone): headers, B-trees, data, attributes.
      for offset in stride(from: 8, to: original.count - 64, by: max(1, original.count / 25)) {
        var damaged = original
        damaged.replaceSubrange(offset..<(offset + 64), with: [UInt8](repeating: 0xA5, count: 64))
        let path = dir.appendingPathComponent("damaged-\(offset).h5").path
        try damaged.write(to: URL(fileURLWithPath: path))
        let writer = try makeWriter(path)
        if case .rebuilt = writer.opening { rebuilt += 1 }
        try writeSyntheticStore(writer, counts: counts, batch: 5)
        try expectSameContents(ref, try SampleStore(path: path))
      }
      #expect(rebuilt > 0)
    }
  }

  @Test func otherMetadataRebuildsAndForeignFilesAreNeverOverwritten() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try writeSyntheticStore(try makeWriter(path), counts: counts, batch: 5)
      var changed = testMetadata
      changed.sourceFingerprint = "recordings:v2"
      let writer = try makeWriter(path, metadata: changed)
      guard case .rebuilt = writer.opening else {
        Issue.record("expected a rebuild, got \(writer.opening)")
        return
      }
      #expect(try writer.resumePoint(for: "train") == 0)
      try writer.close()

      let text = dir.appendingPathComponent("notes.txt").path
      try Data("my notes".utf8).write(to: URL(fileURLWithPath: text))
      #expect(throws: H5StoreError.self) { try makeWriter(text) }
      #expect(try String(contentsOfFile: text, encoding: .utf8) == "my notes")

      let keras = dir.appendingPathComponent("model.h5").path
      try FileManager.default.copyItem(atPath: fixturePath("h5py_keras_like.h5"), toPath: keras)
      #expect(throws: H5StoreError.wrongFormat(path: keras, found: "HDF5 without a 'format' attribute")) {
        try makeWriter(keras)
      }
    }
  }

  @Test(.enabled(if: h5pyPython != nil, "needs BC_TEST_PYTHON with h5py"))
  func aStoreLockedByAnotherProcessIsNeverRebuilt() throws {
    let python = try #require(h5pyPython)
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try writeSyntheticStore(try makeWriter(path), counts: counts, batch: 5)
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      // h5py holds the file open (HDF5 locks it) while we try to take it over for writing.
      let holder = Process()
      holder.executableURL = URL(fileURLWithPath: python)
      holder.arguments = [
        "-c",
        // Holds the file until this test ends (its stdin closes or it is killed), however slow.
        "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\nprint('open', flush=True)\nsys.stdin.read()",
        path,
      ]
      let out = Pipe()
      let stdin = Pipe()
      holder.standardOutput = out
      holder.standardInput = stdin
      try holder.run()
      defer {
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
      }
      _ = out.fileHandleForReading.availableData  // "open"
      var changed = testMetadata
      changed.seed = 99  // would normally rebuild
      #expect(throws: H5StoreError.inUse(path: path)) { try makeWriter(path, metadata: changed) }
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
      #expect(!FileManager.default.fileExists(atPath: SampleStoreWriter.replacementPath(path)))
    }
  }

  /// The same without Python: a reader open in this process (its own descriptor and HDF5 lock), for
  /// a rebuild and for a resume, and a plain flock from outside HDF5 standing for another process.
  @Test func aStoreHeldOpenIsNeitherRebuiltNorResumedOver() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      let writer = try makeWriter(path)
      try writer.append(syntheticBatch("train", 0..<5), to: "train")
      try writer.close()  // interrupted: a resume would copy and rename
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      var changed = testMetadata
      changed.seed = 99
      do {
        let reader = try H5File(opening: path)
        #expect(throws: H5StoreError.inUse(path: path)) { try makeWriter(path, metadata: changed) }
        #expect(throws: H5StoreError.inUse(path: path)) { try makeWriter(path) }
        try reader.close()
      }
      let holder = open(path, O_RDONLY)
      #expect(flock(holder, LOCK_SH) == 0)
      #expect(throws: H5StoreError.inUse(path: path)) { try makeWriter(path, metadata: changed) }
      close(holder)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
      #expect(!FileManager.default.fileExists(atPath: SampleStoreWriter.replacementPath(path)))
      // Released, the same calls go through: resumed, then rebuilt.
      #expect(try makeWriter(path).opening == .resumed)
      #expect(try makeWriter(path, metadata: changed).opening != .resumed)
    }
  }

  @Test func finishedStoreReopensCompleteAndAppendingMakesItIncompleteUntilFinish() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try writeSyntheticStore(try makeWriter(path), counts: counts, batch: 5)
      let writer = try makeWriter(path)
      #expect(writer.opening == .resumed)
      #expect(try writer.resumePoint(for: "train") == 23)
      try writer.append(syntheticBatch("train", 23..<25), to: "train")
      #expect(throws: H5StoreError.incomplete(path: path)) { try SampleStore(path: path) }
      try writer.finish()
      #expect(try SampleStore(path: path).count(of: "train") == 25)
      #expect(throws: H5StoreError.self) { try writer.append(syntheticBatch("train", 25..<26), to: "train") }
    }
  }

  @Test func badArgumentsAreErrors() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      #expect(throws: H5StoreError.self) {
        try SampleStoreWriter(path: path, imageShape: [4, 5], splits: ["train"], metadata: testMetadata)
      }
      #expect(throws: H5StoreError.self) {
        try SampleStoreWriter(path: path, imageShape: [4, 5, 3], splits: ["a/b"], metadata: testMetadata)
      }
      let writer = try makeWriter(path)
      #expect(throws: H5StoreError.self) { try writer.append(syntheticBatch("train", 0..<2), to: "test") }
      #expect(throws: H5StoreError.self) {
        try writer.append(syntheticBatch("train", 0..<2, shape: [5, 4, 3]), to: "train")
      }
      #expect(try writer.resumePoint(for: "train") == 0)  // nothing was half-written
    }
  }
}

/// Copies of a file taken from inside the writer's step hook.
final class SnapshotLog: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var paths: [(String, String)] = []

  func take(_ path: String, step: String, into dir: URL) {
    lock.lock()
    defer { lock.unlock() }
    let copy = dir.appendingPathComponent("snapshot-\(paths.count)-\(step).h5").path
    try? FileManager.default.copyItem(atPath: path, toPath: copy)
    paths.append((copy, step))
  }
}
