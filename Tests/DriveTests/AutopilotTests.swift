import DrivingData
import Foundation
import Testing

@testable import Drive

@Suite struct AutopilotTests {
  func fields(speed: String, image: String) -> [Any] {
    [["steering_angle": "0.0000", "throttle": "0.0000", "speed": speed, "image": image] as [String: Any]]
  }

  @Test func steersWithThePredictorOnTheDecodedFrame() throws {
    let jpeg = Fixtures.cameraJPEG
    let decoded = try JPEGDecoder().decode(Array(jpeg))
    let expected = BrightnessBalance.steering(for: decoded)
    let autopilot = Autopilot(predictor: BrightnessBalance(), setSpeed: 9)
    let car = autopilot.makeCar()
    let answer = autopilot.respond(to: fields(speed: "0,0000", image: jpeg.base64EncodedString()), car: car)
    let steer = try #require(answer.steer)
    #expect(answer.error == nil)
    #expect(steer.steering == expected)
    #expect(abs(steer.throttle - 0.918) < 1e-6)
    #expect(answer.reply == SocketIOText.steer(steering: expected, throttle: Float(0.918)))
    // The second frame continues the same car's integral: error 9 - 4 = 5, integral 14.
    let second = autopilot.respond(to: fields(speed: "4.0", image: jpeg.base64EncodedString()), car: car)
    #expect(abs((second.steer?.throttle ?? 0) - Float(0.1 * 5 + 0.002 * 14)) < 1e-6)
    // Another car has its own controller.
    let other = autopilot.respond(
      to: fields(speed: "0", image: jpeg.base64EncodedString()), car: autopilot.makeCar())
    #expect(abs((other.steer?.throttle ?? 0) - 0.918) < 1e-6)
  }

  @Test func aCurveLimitSlowsTheCarTheModelSteersIntoACurve() throws {
    struct Left: SteeringPredictor {
      mutating func steering(for image: RGBImage) throws -> Float { -0.4 }
    }
    let limit = CurveSpeedLimit(lateralAcceleration: 3)
    let autopilot = Autopilot(predictor: Left(), setSpeed: 30, curveLimit: limit)
    let car = autopilot.makeCar()
    let answer = autopilot.respond(
      to: fields(speed: "30", image: Fixtures.cameraJPEG.base64EncodedString()), car: car)
    // Target 14.9 mph at 30 mph: brake, as SpeedController computes it for the steering sent.
    var reference = SpeedController(setSpeed: 30, curveLimit: limit)
    let expected = min(max(reference.update(speed: 30, steering: -0.4), -1), 1)
    #expect(expected < 0)
    #expect(abs(Double(try #require(answer.steer).throttle) - expected) < 1e-6)
    #expect(car.controller.target < 15)
    // Without a limit the same frame holds 30 mph (error 0): throttle 0.
    let plain = Autopilot(predictor: Left(), setSpeed: 30)
    let flat = plain.respond(
      to: fields(speed: "30", image: Fixtures.cameraJPEG.base64EncodedString()), car: plain.makeCar())
    #expect(flat.steer?.throttle == 0)
  }

  @Test func clampsSteeringAndThrottle() throws {
    struct HardRight: SteeringPredictor {
      mutating func steering(for image: RGBImage) throws -> Float { 7 }
    }
    let autopilot = Autopilot(predictor: HardRight(), setSpeed: 25)
    let answer = autopilot.respond(
      to: fields(speed: "0", image: Fixtures.cameraJPEG.base64EncodedString()), car: autopilot.makeCar())
    #expect(answer.reply == #"42["steer",{"steering_angle":"1","throttle":"1"}]"#)
  }

  @Test func nonFiniteOrFailingPredictionsAnswerManual() {
    struct NaNPredictor: SteeringPredictor {
      mutating func steering(for image: RGBImage) throws -> Float { .nan }
    }
    for autopilot in [Autopilot(predictor: NaNPredictor()), Autopilot(predictor: FailingPredictor())] {
      let answer = autopilot.respond(
        to: fields(speed: "0", image: Fixtures.cameraJPEG.base64EncodedString()), car: autopilot.makeCar())
      #expect(answer.reply == SocketIOText.manual)
      if case .predictionFailed = answer.error {
      } else {
        Issue.record("expected predictionFailed, got \(String(describing: answer.error))")
      }
    }
  }

  @Test func base64Rules() throws {
    #expect(try Autopilot.base64Decode("AAEC") == Data([0, 1, 2]))
    #expect(try Autopilot.base64Decode("AAE") == Data([0, 1]))  // padding missing
    #expect(throws: DriveError.self) { try Autopilot.base64Decode("A") }
    #expect(throws: DriveError.self) { try Autopilot.base64Decode("AA-_") }  // URL alphabet
    #expect(throws: DriveError.self) { try Autopilot.base64Decode("") }
  }

  @Test func recordsFramesAfterReplying() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drive-autopilot-\(UUID())")
      .path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let recorder = try FrameRecorder(folder: folder)
    let autopilot = Autopilot(predictor: BrightnessBalance(), recorder: recorder)
    let car = autopilot.makeCar()
    for _ in 0..<3 {
      _ = autopilot.respond(
        to: fields(speed: "1", image: Fixtures.cameraJPEG.base64EncodedString()), car: car)
    }
    _ = autopilot.respond(to: [NSNull()], car: car)  // manual frames carry no image
    recorder.flush()
    let saved = try FrameFolder.frames(in: folder)
    #expect(saved.count == 3)
    #expect(FileManager.default.contents(atPath: saved[0]) == Fixtures.cameraJPEG)
  }
}
