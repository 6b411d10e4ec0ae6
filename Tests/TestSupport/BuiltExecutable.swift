// The package's executables as the tests run them: built beside the test bundle, output captured
// in files (two pipes read one after the other can deadlock on a chatty child).
import Foundation

/// What a finished executable left.
public struct ExecutableResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  /// Both streams, stdout first (for failure messages).
  public var output: String { stdout + stderr }
}

public enum BuiltExecutable {
  /// The folder of the test bundle, where SwiftPM puts the package's executables.
  public static var folder: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

  /// Runs `name` (e.g. "TrainNvidiaCommand") with `arguments` and waits for it.
  public static func run(_ name: String, _ arguments: [String]) throws -> ExecutableResult {
    let path = folder.appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw TestSupportError("\(name) is not built at \(path)")
    }
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())")
    let logs = [base.appendingPathExtension("out"), base.appendingPathExtension("err")]
    defer { for log in logs { try? FileManager.default.removeItem(at: log) } }
    let handles = try logs.map { log -> FileHandle in
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      return try FileHandle(forWritingTo: log)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = handles[0]
    process.standardError = handles[1]
    try process.run()
    process.waitUntilExit()
    for handle in handles { try handle.close() }
    return ExecutableResult(
      status: process.terminationStatus, stdout: try String(contentsOf: logs[0], encoding: .utf8),
      stderr: try String(contentsOf: logs[1], encoding: .utf8))
  }
}

public struct TestSupportError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
