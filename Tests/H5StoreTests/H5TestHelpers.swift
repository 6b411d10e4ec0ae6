import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

/// A fresh temporary directory, removed when the test's closure returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("h5store-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: url) }
  return try body(url)
}

/// A committed fixture next to this file.
func fixturePath(_ name: String, filePath: String = #filePath) -> String {
  URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// The Python with h5py that `make test` provides (BC_TEST_PYTHON), if it can import h5py.
let h5pyPython: String? = {
  guard let python = ProcessInfo.processInfo.environment["BC_TEST_PYTHON"],
    FileManager.default.isExecutableFile(atPath: python)
  else { return nil }
  return (try? runProcess(python, ["-c", "import h5py"]))?.status == 0 ? python : nil
}()

/// The repository's Scripts/fixtures/h5store_h5py.py.
func h5pyScript(filePath: String = #filePath) -> String {
  URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Scripts/fixtures/h5store_h5py.py").path
}

struct ProcessResult {
  var status: Int32
  var output: String
  var errors: String
}

func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let output = out.fileHandleForReading.readDataToEndOfFile()
  let errors = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
    errors: String(decoding: errors, as: UTF8.self))
}

/// h5py's view of a file: the JSON `h5store_h5py.py dump` prints.
func h5pyDump(_ path: String, python: String) throws -> [String: Any] {
  let result = try runProcess(python, [h5pyScript(), "dump", path])
  #expect(result.status == 0, "h5py could not read \(path): \(result.errors)")
  let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8))
  return try #require(json as? [String: Any])
}

/// The fixture script's weight formula: ((i % 97) / 64) - 0.75, exact in Float.
func fixtureWeights(_ count: Int) -> [Float] {
  (0..<count).map { Float($0 % 97) / 64 - 0.75 }
}

// MARK: synthetic samples

/// Sample `index` of a deterministic synthetic stream: every pixel, label and provenance field is a
/// function of (split, index), so any reader can check what it got and a producer can replay.
func syntheticBatch(_ split: String, _ range: Range<Int>, shape: [Int] = [4, 5, 3]) -> SampleBatch {
  let pixels = shape.reduce(1, *)
  let salt = split == "train" ? 0 : 7
  var images = [UInt8](repeating: 0, count: range.count * pixels)
  for (slot, index) in range.enumerated() {
    for p in 0..<pixels {
      images[slot * pixels + p] = UInt8(truncatingIfNeeded: index &* 31 &+ p &* 7 &+ salt)
    }
  }
  return SampleBatch(
    images: images, labels: range.map { syntheticSteering(split, $0) },
    provenance: range.map {
      SampleProvenance(
        recording: Int32($0 % 3), row: Int32($0), view: UInt8($0 % 3),
        flipped: $0 % 2 == 1)
    }, height: shape[0], width: shape[1], channels: shape[2])
}

func syntheticSteering(_ split: String, _ index: Int) -> Float {
  Float(index % 1000) / 1000 - (split == "train" ? 0.5 : 0.25)
}

let testMetadata = SampleStoreMetadata(
  preprocessingJSON: "{\"resize\": [128, 128], \"flip\": true}", seed: 42, sourceFingerprint: "recordings:v1")

/// Writes `counts` synthetic samples per split in batches of `batch`, starting at each split's
/// resume point, and finishes.
func writeSyntheticStore(
  _ writer: SampleStoreWriter, counts: [String: Int], batch: Int
) throws {
  let shape = writer.imageShape
  for split in writer.splits {
    var start = try writer.resumePoint(for: split)
    while start < counts[split, default: 0] {
      let end = min(start + batch, counts[split, default: 0])
      try writer.append(syntheticBatch(split, start..<end, shape: shape), to: split)
      start = end
    }
  }
  try writer.finish()
}

// MARK: loader stores

/// A finished store of `count` synthetic training samples (images encode their index).
func makeStore(
  _ dir: URL, count: Int, chunk: Int, shape: [Int] = [4, 5, 3], deflate: Int? = nil
) throws -> SampleStore {
  let path = dir.appendingPathComponent("store-\(count)-\(chunk)-\(deflate ?? -1).h5").path
  let writer = try SampleStoreWriter(
    path: path, imageShape: shape, splits: ["train"], chunkImages: chunk, deflate: deflate,
    metadata: testMetadata)
  try writeSyntheticStore(writer, counts: ["train": count], batch: 37)
  return try SampleStore(path: path)
}

/// Checks that every sample of `batch` carries its own image, label and provenance; returns the
/// sample indices in order.
func checkPairing(_ batch: SampleBatch, shape: [Int] = [4, 5, 3]) -> [Int] {
  let pixels = shape.reduce(1, *)
  return (0..<batch.count).map { k in
    let index = Int(batch.provenance[k].row)
    let expected = syntheticBatch("train", index..<(index + 1), shape: shape)
    #expect(Array(batch.images[(k * pixels)..<((k + 1) * pixels)]) == expected.images, "image of \(index)")
    #expect(batch.labels[k] == expected.labels[0], "label of \(index)")
    #expect(batch.provenance[k] == expected.provenance[0])
    return index
  }
}

/// Reads a whole epoch, checking every sample's image, label and provenance belong together.
func drain(_ stream: any BatchStream, shape: [Int] = [4, 5, 3]) throws -> (order: [Int], sizes: [Int]) {
  var order: [Int] = []
  var sizes: [Int] = []
  while let batch = try stream.next() {
    sizes.append(batch.count)
    order += checkPairing(batch, shape: shape)
  }
  return (order, sizes)
}
