import Foundation
import Testing

@testable import Simulator

@Suite struct WorldTests {
  @Test func lapCounterCountsForwardLapsOnly() {
    var laps = LapCounter(lapLength: 100, startS: 90)
    var t = 0.0
    // Two laps forward in 1 m steps, across the start line at s = 0.
    for i in 1...200 {
      t += 0.1
      laps.update(s: Double((90 + i) % 100), time: t)
    }
    #expect(laps.lapsCompleted == 2)
    #expect(laps.lapTimes.count == 2 && abs(laps.lapTimes[0] - 10) < 1e-9)
    // Backing up over the line and forward again does not count a lap.
    laps.update(s: 85, time: t + 1)
    laps.update(s: 95, time: t + 2)
    #expect(laps.lapsCompleted == 2)
  }

  @Test func startsOnTheCentreLineAtRest() throws {
    let world = World(track: try Track(spec: TrackLibrary.lake))
    #expect(abs(world.location.lateral) < 0.05)
    #expect(abs(world.location.s) < 0.1 || abs(world.location.s - world.track.length) < 0.1)
    #expect(!world.isOffRoad)
    #expect(world.vehicle.state.speed == 0)
  }

  @Test func drivingStraightOffTheRoadIsAnInterventionBackOnTheCentreLine() throws {
    var world = World(track: try TrackTests.circle())
    world.vehicle.state.speed = 10
    world.apply(Controls(steering: 0, throttle: 0.3))  // straight on a circle: leaves the road outward
    var events = 0
    for _ in 0..<100 { events += world.advance(by: 0.05) }
    #expect(events >= 1)
    #expect(world.offRoadEvents == events)
    #expect(abs(world.location.lateral) < 4)
    #expect(world.vehicle.state.speed > 5)  // the intervention keeps the speed
  }

  @Test func advanceUsesFixedStepsAndCarriesTheRemainder() throws {
    var a = World(track: try Track(spec: TrackLibrary.lake))
    var b = a
    a.apply(Controls(steering: 0.1, throttle: 1))
    b.apply(Controls(steering: 0.1, throttle: 1))
    a.advance(by: 1.0)
    for _ in 0..<40 { b.advance(by: 0.025) }
    #expect(abs(a.time - 1) < 1e-9 && abs(b.time - 1) < 1e-9)
    #expect(a.vehicle.state == b.vehicle.state)
  }
}
