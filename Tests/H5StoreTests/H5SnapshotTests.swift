// The snapshot a child hands its parent: it round-trips, and no truncation or changed byte of it
// makes the parent do more than refuse it.
import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct H5SnapshotTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/h5py_keras_like.h5").path

  @Test func snapshotReadsLikeTheFile() throws {
    let snapshot = try H5Snapshot.take(path: Self.fixture)
    let file = try H5File(opening: Self.fixture)
    defer { try? file.close() }
    let root = try file.root()
    #expect(try snapshot.stringAttribute("model_config") == root.stringAttribute("model_config"))
    #expect(snapshot.contains("model_weights/dense_1/dense_1/kernel:0"))
    #expect(!snapshot.contains("model_weights/nope/deeper"))
    let d = try snapshot.dataset("model_weights/dense_1/dense_1/kernel:0")
    let real = try root.dataset("model_weights/dense_1/dense_1/kernel:0")
    #expect(d.shape() == (try real.shape()))
    #expect(try d.read(as: Float.self) == real.read(as: Float.self))
  }

  @Test func encodedSnapshotRoundTripsAndDamagedMessagesAreRefused() throws {
    let snapshot = try H5Snapshot.take(path: Self.fixture)
    let bytes = H5SnapshotCoding.encode(.success(snapshot))
    guard case .snapshot(let decoded) = H5SnapshotCoding.decode(bytes) else {
      Issue.record("the encoded snapshot does not decode")
      return
    }
    #expect(decoded == snapshot)
    for n in stride(from: 0, to: bytes.count, by: 7) {
      #expect(H5SnapshotCoding.decode(Array(bytes[0..<n])) == nil)
    }
    // Changed bytes: refused or decoded, never a crash or a huge allocation.
    var g = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
      var damaged = bytes
      damaged[Int.random(in: 0..<damaged.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
      _ = H5SnapshotCoding.decode(damaged)
    }
  }

  @Test func childErrorsTravelAsText() {
    let bytes = H5SnapshotCoding.encode(.failure(H5StoreError.invalidArgument("no good")))
    guard case .failure(let text) = H5SnapshotCoding.decode(bytes) else {
      Issue.record("the error does not decode")
      return
    }
    #expect(text == "no good")
  }
}
