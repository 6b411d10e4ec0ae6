import DrivingData
import Foundation
import Logging
import Testing

@testable import Drive

/// A small honest predictor for tests, not a model: the mean brightness of the right half minus
/// the left half, over 255 (so -1...1). Images brighter on the right steer right.
struct BrightnessBalance: SteeringPredictor {
  var calls = 0

  static func steering(for image: RGBImage) -> Float {
    var left = 0
    var right = 0
    for y in 0..<image.height {
      for x in 0..<image.width {
        let i = (y * image.width + x) * 3
        let sum = Int(image.pixels[i]) + Int(image.pixels[i + 1]) + Int(image.pixels[i + 2])
        if x < image.width / 2 { left += sum } else { right += sum }
      }
    }
    let half = Float(image.height * (image.width / 2) * 3)
    return (Float(right) - Float(left)) / half / 255
  }

  mutating func steering(for image: RGBImage) throws -> Float {
    calls += 1
    return Self.steering(for: image)
  }
}

/// A predictor that always fails, to check the server answers anyway.
struct FailingPredictor: SteeringPredictor {
  struct Broken: Error {}
  mutating func steering(for image: RGBImage) throws -> Float { throw Broken() }
}

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let clients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Clients")
  static let cameraPath = directory.appendingPathComponent("camera_320x160.jpg").path
  static var cameraJPEG: Data { FileManager.default.contents(atPath: cameraPath) ?? Data() }

  /// `42["telemetry",{...}]` as the simulator writes it.
  static func telemetry(speed: String = "9.0412", image: String? = nil) -> String {
    let b64 = image ?? cameraJPEG.base64EncodedString()
    return #"42["telemetry",{"steering_angle":"-3.1250","throttle":"0.2000","speed":""# + speed
      + #"","image":""# + b64 + #""}]"#
  }
}

/// Starts a server on a free port with a quiet logger.
func startServer(
  predictor: sending any SteeringPredictor = BrightnessBalance(), maxMessageSize: Int = 1_000_000,
  pingInterval: TimeAmountMS = 25_000, pingTimeout: TimeAmountMS = 60_000, recorder: FrameRecorder? = nil,
  onFrame: (@Sendable (FrameReport) -> Void)? = nil
) async throws -> DriveServer {
  var logger = Logger(label: "drive.test")
  logger.logLevel = ProcessInfo.processInfo.environment["BC_TEST_LOG"] == nil ? .critical : .debug
  let configuration = DriveServer.Configuration(
    port: 0, maxMessageSize: maxMessageSize, pingInterval: .milliseconds(pingInterval),
    pingTimeout: .milliseconds(pingTimeout), threads: 2)
  return try await DriveServer(
    configuration: configuration, autopilot: Autopilot(predictor: predictor, recorder: recorder),
    logger: logger,
    onFrame: onFrame)
}

typealias TimeAmountMS = Int64

/// The Python interpreters of the test virtual environments (`make test-deps` builds them).
enum PeerPython: String {
  /// python-socketio 4.6.1 + python-engineio 3.14.2 + websocket-client.
  case eio3 = "BC_TEST_PYTHON"
  /// python-socketio 5.x + websocket-client.
  case eio4 = "BC_TEST_PYTHON_EIO4"

  struct Missing: Error, CustomStringConvertible {
    var variable: String
    var description: String {
      "\(variable) is not set: run the tests with `make test` (it builds the Python peer clients' "
        + "virtual environments and sets BC_TEST_PYTHON and BC_TEST_PYTHON_EIO4)"
    }
  }

  var executable: String {
    get throws {
      guard let path = ProcessInfo.processInfo.environment[rawValue], !path.isEmpty else {
        throw Missing(variable: rawValue)
      }
      return path
    }
  }

  /// Runs a client script from `Clients/`; returns its exit status and its last stdout line.
  func run(_ script: String, _ arguments: [String]) async throws -> (
    status: Int32, output: String, errors: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try executable)
    process.arguments = [Fixtures.clients.appendingPathComponent(script).path] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read on other threads so a chatty client never blocks on a full pipe.
    async let outData = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
    async let errData = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
    let (o, e) = await (outData, errData)
    await Task.detached { process.waitUntilExit() }.value
    let lines = String(decoding: o, as: UTF8.self).split(separator: "\n")
    return (process.terminationStatus, lines.last.map(String.init) ?? "", String(decoding: e, as: UTF8.self))
  }
}

/// Parses a client's JSON summary line.
func summary(_ line: String) throws -> [String: Any] {
  let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
  return try #require(object as? [String: Any], "client printed \(line)")
}
