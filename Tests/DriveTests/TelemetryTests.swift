import Foundation
import Testing

@testable import Drive

@Suite struct TelemetryTests {
  @Test func readsSimulatorStrings() throws {
    let fields: [String: Any] = [
      "steering_angle": "-3.1250", "throttle": "0.2000", "speed": "9.0412", "image": "/9j/4AAQ",
    ]
    let t = try #require(try Telemetry(arguments: [fields]))
    #expect(t.steeringAngle == -3.125)
    #expect(t.throttle == 0.2)
    #expect(t.speed == 9.0412)
    #expect(t.imageBase64 == "/9j/4AAQ")
  }

  @Test(arguments: [
    ("0,0000", 0.0), ("12,5", 12.5), ("-0.0000", 0.0), (" 3.25 ", 3.25), ("-3,1250", -3.125), ("1e1", 10.0),
  ])
  func lenientNumbers(_ text: String, _ expected: Double) {
    #expect(Telemetry.parseLenient(text) == expected)
  }

  @Test(arguments: ["", "abc", "1,000,5", "1.5.2", "nan", "inf", "1,2.5"])
  func rejectsNonNumbers(_ text: String) {
    #expect(Telemetry.parseLenient(text) == nil)
  }

  @Test func manualModeFormsAreNil() throws {
    #expect(try Telemetry(arguments: []) == nil)
    #expect(try Telemetry(arguments: [NSNull()]) == nil)
  }

  @Test func missingOrWrongFieldsThrow() {
    #expect(throws: DriveError.self) { try Telemetry(arguments: [5]) }
    #expect(throws: DriveError.self) { try Telemetry(arguments: [["speed": "1"]]) }
    #expect(throws: DriveError.self) { try Telemetry(arguments: [["image": "x"]]) }
    #expect(throws: DriveError.self) { try Telemetry(arguments: [["image": "x", "speed": true]]) }
    #expect(throws: DriveError.self) { try Telemetry(arguments: [["image": "x", "speed": "fast"]]) }
  }

  @Test func jsonNumbersFromGenericClients() throws {
    let t = try #require(try Telemetry(arguments: [["image": "x", "speed": 4.5, "throttle": 1]]))
    #expect(t.speed == 4.5)
    #expect(t.throttle == 1)
    #expect(t.steeringAngle == 0)
  }
}
