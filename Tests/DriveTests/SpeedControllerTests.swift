import DrivingData
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
