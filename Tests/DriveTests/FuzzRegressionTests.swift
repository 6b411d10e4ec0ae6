import DrivingData
import Foundation
import Testing

@testable import Drive

/// Telemetry the fuzz targets (Fuzz/, docs/fuzzing.md) found or were built to find: each gets the
/// `manual` reply with a DriveError, and the car keeps answering good frames.
@Suite struct FuzzRegressionTests {
  /// The camera fixture with its frame header claiming `width` x `height`.
  static func jpeg(claiming width: UInt16, _ height: UInt16) throws -> Data {
    var bytes = [UInt8](Fixtures.cameraJPEG)
    guard let sof = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
    else {
      throw DriveError.badImage("fixture has no SOF0")
    }
    bytes.replaceSubrange(
      (sof + 5)..<(sof + 9),
      with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
    return Data(bytes)
  }

  static func arguments(image: Data) -> [Any] {
    [["speed": "9.0", "steering_angle": "0", "throttle": "0", "image": image.base64EncodedString()]]
  }

  /// A frame header claiming 20000 x 12000 (720 MB decoded) is refused before any allocation.
  @Test func oversizedTelemetryFrameGetsManual() throws {
    let autopilot = Autopilot(predictor: BrightnessBalance())
    let car = autopilot.makeCar()
    let answer = autopilot.respond(to: Self.arguments(image: try Self.jpeg(claiming: 20000, 12000)), car: car)
    #expect(answer.reply == SocketIOText.manual)
    guard case .badImage = answer.error else {
      Issue.record("expected badImage, got \(String(describing: answer.error))")
      return
    }
    let good = autopilot.respond(to: Self.arguments(image: Fixtures.cameraJPEG), car: car)
    #expect(good.steer != nil)
  }

  /// Engine.IO and Socket.IO text that is not a packet is counted as malformed and ignored.
  @Test func malformedPacketsAreIgnored() {
    #expect(throws: DriveError.self) { try EnginePacket(parsing: "") }
    #expect(throws: DriveError.self) {
      try SocketIOPacket(parsing: "2" + String(repeating: "9", count: 40) + "[]")
    }
    #expect(throws: DriveError.self) { try EnginePayload.decode("99999999999:4", version: .v3) }
    #expect(throws: DriveError.self) { try EnginePayload.decode("0:", version: .v3) }
  }
}
