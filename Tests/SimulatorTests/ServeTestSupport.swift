// Shared by the `Simulate serve` suites: the Python peers in Browser/ and where their output goes.
import Foundation
import Testing

@testable import Simulator

enum ServePeer {
  struct Missing: Error, CustomStringConvertible {
    var description: String {
      "BC_TEST_PYTHON is not set: run the tests with `make test` (it builds the test virtualenv with websocket-client)"
    }
  }

  static var scripts: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser")
  }

  /// `report/browser` at the package root (or $BC_REPORT_DIR/browser): the screenshots.
  static var reportDirectory: String {
    let root =
      ProcessInfo.processInfo.environment["BC_REPORT_DIR"]
      ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("report").path
    return (root as NSString).appendingPathComponent("browser")
  }

  /// Runs `script` with the test virtualenv's Python and parses its last stdout line as JSON.
  static func run(_ script: String, _ arguments: [String]) async throws -> [String: Any] {
    guard let python = ProcessInfo.processInfo.environment["BC_TEST_PYTHON"], !python.isEmpty else {
      throw Missing()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [scripts.appendingPathComponent(script).path] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    async let outData = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
    async let errData = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
    let (o, e) = await (outData, errData)
    await Task.detached { process.waitUntilExit() }.value
    let errors = String(decoding: e, as: UTF8.self)
    try #require(process.terminationStatus == 0, "\(script) failed: \(errors.suffix(3000))")
    let line = String(decoding: o, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any], "\(script) printed \(line)")
  }

  /// A live session on a free port with a coarse ground texture (quick to build).
  static func session(_ configure: (inout LiveOptions) -> Void = { _ in }) throws -> LiveSession {
    var options = LiveOptions()
    options.port = 0
    options.mapCellSize = 0.25
    configure(&options)
    let session = try LiveSession(options: options)
    session.start()
    // The loop builds the renderer first (seconds on a loaded machine): wait for its first frame.
    let deadline = Date(timeIntervalSinceNow: 120)
    while session.state == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if session.state == nil {
      session.stop()
      throw SimulatorError.connection("the live session published nothing in 120 s")
    }
    return session
  }
}
