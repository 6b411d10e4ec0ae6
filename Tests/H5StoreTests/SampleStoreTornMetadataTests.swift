import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

/// The state a SIGKILL inside `H5Fflush` can leave (docs/h5store.md, "Why a resume copies"): the
/// superblock's end-of-allocation address (`eoa`, bytes 40..<48 of a version-0 superblock) behind
/// metadata and chunks that were already written. Appending through such a file allocates on top
/// of live objects ("addr overflow", then crashes); a resume must copy instead, or rebuild.
@Suite struct SampleStoreTornMetadataTests {
  let counts = ["train": 23, "validation": 9]

  func makeWriter(_ path: String) throws -> SampleStoreWriter {
    try SampleStoreWriter(
      path: path, imageShape: [4, 5, 3], splits: ["train", "validation"], chunkImages: 4,
      metadata: testMetadata)
  }

  /// A store killed after `appends` committed appends of 5 train samples.
  func interrupted(_ path: String, appends: Int) throws {
    let writer = try makeWriter(path)
    for k in 0..<appends {
      try writer.append(syntheticBatch("train", (k * 5)..<(k * 5 + 5)), to: "train")
    }
    try writer.close()
  }

  static let eoaOffset = 40

  @Test(arguments: [64, 1024, 4096, 6144])
  func aSuperblockBehindItsMetadataIsNeverAppendedTo(lag: Int) throws {
    try withTemporaryDirectory { dir in
      let reference = dir.appendingPathComponent("reference.h5").path
      try writeSyntheticStore(try makeWriter(reference), counts: counts, batch: 5)
      let path = dir.appendingPathComponent("torn.h5").path
      try interrupted(path, appends: 3)
      var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      let eoa = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Self.eoaOffset, as: UInt64.self) }
      #expect(Int(eoa) == bytes.count, "version-0 superblock: eoa at byte 40 is the file's end")
      var torn = UInt64(max(0, Int(eoa) - lag)).littleEndian
      withUnsafeBytes(of: &torn) { bytes.replaceSubrange(Self.eoaOffset..<(Self.eoaOffset + 8), with: $0) }
      try bytes.write(to: URL(fileURLWithPath: path))
      let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64

      let resumed = try makeWriter(path)
      // Whatever the decision, the damaged file itself was never written to: it was read, then
      // replaced by a rename (resume) or recreated (rebuild).
      let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64
      if resumed.opening == .resumed {
        #expect(after != inode, "a resume renames a fresh copy over the old file")
        #expect(try resumed.resumePoint(for: "train") == 15)
      }
      #expect(!FileManager.default.fileExists(atPath: SampleStoreWriter.replacementPath(path)))
      try writeSyntheticStore(resumed, counts: counts, batch: 5)
      let store = try SampleStore(path: path)
      try store.verify()
      let want = try SampleStore(path: reference)
      for split in ["train", "validation"] {
        #expect(try store.checksums(of: split) == want.checksums(of: split))
        let n = try want.count(of: split)
        #expect(try store.images(of: split, range: 0..<n) == want.images(of: split, range: 0..<n))
      }
    }
  }

  @Test func aKillDuringTheCopyLeavesTheOldFileUntouched() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      try interrupted(path, appends: 3)
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      // What a kill in the middle of a copy leaves: a partial `.partial` file beside the store.
      try Data(repeating: 0x89, count: 5000).write(
        to: URL(fileURLWithPath: SampleStoreWriter.replacementPath(path)))
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
      let resumed = try makeWriter(path)
      #expect(resumed.opening == .resumed)
      #expect(try resumed.resumePoint(for: "train") == 15)
      #expect(!FileManager.default.fileExists(atPath: SampleStoreWriter.replacementPath(path)))
      try writeSyntheticStore(resumed, counts: counts, batch: 5)
      try SampleStore(path: path).verify()
    }
  }

  @Test func aFailedFlushClosesTheFileAndLaterCallsFailCleanly() throws {
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("s.h5").path
      let file = try H5File(creating: path)
      let data = try file.root().createDataset(
        "x", of: Float.self, shape: [0], maxShape: [nil], chunks: [4], deflate: nil)
      try data.extend(to: [8])
      try data.write([Float](repeating: 1, count: 8))
      // Take the disk away under HDF5: its descriptor for the file now points at /dev/full,
      // which fails every write with ENOSPC, as a full disk would.
      let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
        Int32($0)
      }
      let hdf5fd = try #require(
        descriptors.first {
          (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
        })
      let full = open("/dev/full", O_WRONLY)
      #expect(full >= 0)
      #expect(dup2(full, hdf5fd) == hdf5fd)
      close(full)
      #expect(throws: H5StoreError.self) { try file.flush() }
      #expect(!file.isOpen)
      #expect(throws: H5StoreError.closed(object: "\(path):/x")) { try data.extend(to: [16]) }
      try file.close()  // closing again is harmless
      // The library stays usable: another file is created, written, closed (a strong close walks
      // every open object of the process, where a stale dataset id used to crash) and read back.
      let other = dir.appendingPathComponent("other.h5").path
      let second = try H5File(creating: other)
      _ = try second.root().createDataset("y", values: [Float](repeating: 2, count: 4), shape: [4])
      try second.close()
      let reread: [Float] = try H5File(opening: other).root().dataset("y").read()
      #expect(reread == [2, 2, 2, 2])
    }
  }
}
