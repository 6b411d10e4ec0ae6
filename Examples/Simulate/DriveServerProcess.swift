// A `Drive model.h5` server in its own process, as a user runs it: `Simulate evaluate` starts one per
// worker so Simulate itself never links the model code (ConvNet, ModelFile, HDF5) nor the server.
import Foundation

/// A running `Drive` process listening on a port it picked itself (`--port 0`).
final class DriveServerProcess {
  let speedMph: Double
  let port: Int
  let log: String
  private let process: Process

  /// Starts `executable model --port 0 --speed speedMph --quiet arguments`, its output going to `log`, and
  /// waits (at most `timeout` seconds) until it says which port it listens on.
  init(
    executable: String, model: String, speedMph: Double, arguments: [String] = [], log: String,
    timeout: Double = 180
  ) throws {
    self.speedMph = speedMph
    self.log = log
    guard FileManager.default.createFile(atPath: log, contents: nil),
      let output = FileHandle(forWritingAtPath: log)
    else { throw ValidationErrorText("cannot write \(log)") }
    defer { try? output.close() }
    process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments =
      [model, "--host", "127.0.0.1", "--port", "0", "--speed", String(speedMph), "--quiet"] + arguments
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { throw ValidationErrorText("cannot start \(executable): \(error)") }
    let deadline = Date(timeIntervalSinceNow: timeout)
    var found: Int?
    while found == nil {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      found = Self.listeningPort(in: text)
      if found != nil { break }
      guard process.isRunning else {
        throw ValidationErrorText(
          "Drive exited (status \(process.terminationStatus)) before listening: \(text)")
      }
      guard Date() < deadline else {
        process.terminate()
        process.waitUntilExit()
        throw ValidationErrorText("Drive did not listen within \(Int(timeout)) s (log: \(log))")
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    port = found ?? 0
  }

  /// The port in Drive's "Drive: <model> on 127.0.0.1:<port>, set speed ..." line.
  static func listeningPort(in text: String) -> Int? {
    for line in text.split(separator: "\n") where line.hasPrefix("Drive: ") {
      guard let range = line.range(of: ", set speed", options: .backwards),
        let colon = line[..<range.lowerBound].lastIndex(of: ":")
      else { continue }
      return Int(line[line.index(after: colon)..<range.lowerBound])
    }
    return nil
  }

  /// SIGTERM, as Ctrl-C would, then waits for the process to end.
  func stop() {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }

  deinit { stop() }
}

/// An error that is just its message (ArgumentParser prints it as `Error: <message>`).
struct ValidationErrorText: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
