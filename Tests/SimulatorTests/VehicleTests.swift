import Foundation
import Testing

@testable import Simulator

@Suite struct VehicleTests {
  func car(speed: Double = 0) -> Vehicle {
    Vehicle(state: VehicleState(position: Vec2(x: 0, y: 0), heading: 0, speed: speed))
  }

  @Test func fullThrottleReachesTopSpeedAndNoMore() {
    var v = car()
    v.state.controls = Controls(steering: 0, throttle: 1)
    for _ in 0..<300 { v.step() }  // 3 s
    // About 0-30 mph in roughly 5-6 s with drag: after 3 s, between 15 and 25 mph.
    #expect(v.state.speedMph > 15 && v.state.speedMph < 25)
    for _ in 0..<6000 { v.step() }
    #expect(v.state.speedMph <= 30 + 1e-9)
    #expect(v.state.speedMph > 29.5)
  }

  @Test func brakesStopWithoutReversing() {
    var v = car(speed: 13)
    v.state.controls = Controls(steering: 0, throttle: -1)
    var steps = 0
    while v.state.speed > 0 && steps < 1000 {
      v.step()
      steps += 1
    }
    // 13 m/s at ~8 m/s^2: about 1.6 s.
    #expect(steps > 120 && steps < 200)
    for _ in 0..<100 { v.step() }
    #expect(v.state.speed == 0)
  }

  @Test func steadyTurnMatchesTheBicycleRadius() {
    // Full right lock at constant speed: radius L / tan(25 deg), clockwise.
    var v = car(speed: 5)
    v.parameters.rollingResistance = 0
    v.parameters.maxAcceleration = 0
    v.state.controls = Controls(steering: 1, throttle: 0)
    v.state.wheelAngle = -v.parameters.maxSteering
    let radius = v.parameters.wheelbase / tan(v.parameters.maxSteering)
    var points: [Vec2] = []
    for i in 0..<2000 {
      v.step(dt: 0.001)
      if i % 50 == 0 { points.append(v.state.position) }
    }
    // Centre of the circle is to the right of the start: (0, -R). Drag slows it slightly; radius holds.
    for p in points { #expect(abs((p - Vec2(x: 0, y: -radius)).length - radius) < 0.02) }
    #expect(v.state.heading < 0)  // turned clockwise (right)
    #expect(abs(v.state.steeringDegrees - 25) < 1e-9)
  }

  @Test func steeringSlewsAtTheWheelRate() {
    var v = car(speed: 5)
    v.state.controls = Controls(steering: -1, throttle: 0)
    v.step(dt: 0.04)
    // 250 deg/s for 0.04 s = 10 degrees to the left.
    #expect(abs(v.state.steeringDegrees + 10) < 1e-9)
    for _ in 0..<20 { v.step() }
    #expect(abs(v.state.steeringDegrees + 25) < 1e-9)
  }

  @Test func wheelsSurroundTheCar() {
    let v = car()
    let w = v.wheels
    #expect(w.count == 4)
    #expect(abs(w[0].x - 2.6) < 1e-9 && abs(w[0].y - 0.8) < 1e-9)  // front-left
    #expect(abs(w[3].x) < 1e-9 && abs(w[3].y + 0.8) < 1e-9)  // rear-right
    #expect(abs(v.center.x - 1.3) < 1e-9)
  }
}
