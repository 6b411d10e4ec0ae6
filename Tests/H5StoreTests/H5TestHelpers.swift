import Foundation
import Testing

@testable import H5Store

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
