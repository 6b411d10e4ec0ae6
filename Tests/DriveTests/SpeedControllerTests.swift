import DrivingData
import Foundation
import Testing

@Suite struct SpeedControllerTests {
  @Test func matchesDrivePyFirstThrottle() {
    // drive.py: set speed 9, speed 0 -> 0.1 * 9 + 0.002 * 9 = 0.918.
    var c = SpeedController(setSpeed: 9)
    #expect(abs(c.update(speed: 0) - 0.918) < 1e-12)
  }

  @Test func integralAccumulatesWithoutDtOrClamp() {
    var c = SpeedController(setSpeed: 25)
    let speeds = [0.0, 5, 10, 20, 30, 30]
    var integral = 0.0
    for s in speeds {
      let error = 25 - s
      integral += error
      #expect(abs(c.update(speed: s) - (0.1 * error + 0.002 * integral)) < 1e-12)
    }
    #expect(c.integral == integral)
  }
}

@Suite struct CurveSpeedLimitTests {
  let limit = CurveSpeedLimit(lateralAcceleration: 3)

  @Test func curvatureAndLimitFollowTheBicycleModel() {
    // Full lock: 25 deg on a 2.6 m wheelbase, radius 5.58 m; 3 m/s^2 there allows 4.09 m/s, 9.15 mph.
    let kappa = limit.curvature(steering: -1)
    #expect(abs(kappa - tan(25 * Double.pi / 180) / 2.6) < 1e-12)
    #expect(abs(limit.speedLimitMph(curvature: kappa) - (3 / kappa).squareRoot() / 0.44704) < 1e-9)
    #expect(abs(limit.speedLimitMph(curvature: kappa) - 9.15) < 0.01)
    #expect(limit.curvature(steering: 3) == kappa)  // clamped like the reply
    #expect(limit.speedLimitMph(curvature: 0) == .infinity)
    #expect(limit.speedLimitMph(curvature: 100) == limit.minimumSpeedMph)
  }

  @Test func withoutALimitSteeringChangesNothing() {
    var plain = SpeedController(setSpeed: 25)
    var steered = SpeedController(setSpeed: 25)
    for (i, s) in [0.0, 1, -0.5, 0.3, 0].enumerated() {
      #expect(plain.update(speed: Double(i) * 3) == steered.update(speed: Double(i) * 3, steering: s))
      #expect(steered.target == 25)
    }
  }

  @Test func aCurveLowersTheTargetAndItRecoversAsTheHeldCurvatureDecays() {
    var c = SpeedController(setSpeed: 30, curveLimit: limit)
    _ = c.update(speed: 30, steering: 0)
    #expect(c.target == 30)
    // Steering 0.4 (10 deg): radius 14.7 m, 6.65 m/s = 14.9 mph. The PI sees target - speed.
    let throttle = c.update(speed: 30, steering: 0.4)
    let expected = limit.speedLimitMph(curvature: limit.curvature(steering: 0.4))
    #expect(abs(c.target - expected) < 1e-12 && abs(expected - 14.9) < 0.1)
    #expect(abs(throttle - (0.1 * (expected - 30) + 0.002 * (0 + expected - 30))) < 1e-12)
    // Straight frames after it: the held curvature decays by 0.9 per frame, the target rises
    // monotonically back to the set speed.
    var previous = c.target
    for k in 1...60 {
      _ = c.update(speed: 20, steering: 0)
      let held = limit.curvature(steering: 0.4) * pow(0.9, Double(k))
      #expect(abs(c.heldCurvature - held) < 1e-12)
      #expect(c.target >= previous)
      previous = c.target
    }
    #expect(c.target == 30)
    // A sharper frame replaces the held peak at once.
    _ = c.update(speed: 20, steering: -1)
    #expect(abs(c.target - limit.speedLimitMph(curvature: limit.curvature(steering: 1))) < 1e-12)
  }
}
