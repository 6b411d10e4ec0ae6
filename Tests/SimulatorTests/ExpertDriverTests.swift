import Foundation
import Testing

@testable import Simulator

@Suite struct ExpertDriverTests {
  /// Drives `laps` laps with the expert at 20 Hz control; returns the world.
  static func drive(_ track: Track, laps: Int, speed: Double = 25) -> World {
    var world = World(track: track)
    let expert = ExpertDriver(track: track, cruiseSpeedMph: speed)
    while world.laps.lapsCompleted < laps, world.time < 600 {
      world.apply(expert.controls(for: world.vehicle.state))
      world.advance(by: 0.05)
    }
    return world
  }

  @Test(arguments: ["lake", "jungle"])
  func expertCompletesTwoLapsWithoutLeavingTheRoad(name: String) throws {
    for track in [try Track(named: name), try Track(named: name).reversed()] {
      let world = Self.drive(track, laps: 2, speed: 30)
      #expect(world.laps.lapsCompleted == 2)
      #expect(world.offRoadEvents == 0)
    }
  }

  @Test func expertHoldsTheCentreOnAStraightAndSteersIntoCurves() throws {
    let circle = try TrackTests.circle(radius: 60)
    var world = World(track: circle)
    let expert = ExpertDriver(track: circle, cruiseSpeedMph: 20)
    var maxError = 0.0
    for step in 0..<600 {
      world.apply(expert.controls(for: world.vehicle.state))
      world.advance(by: 0.05)
      if step > 100 { maxError = max(maxError, abs(world.location.lateral)) }
    }
    // Left-hand circle: the expert steers left (negative) and stays within half a metre.
    #expect(world.vehicle.state.controls.steering < 0)
    #expect(maxError < 0.5)
  }

  @Test func slowsDownForTightCurves() throws {
    let jungle = try Track(named: "jungle")
    let expert = ExpertDriver(track: jungle, cruiseSpeedMph: 30)
    let tightest = jungle.arcLength[
      jungle.curvatures.indices.max { abs(jungle.curvatures[$0]) < abs(jungle.curvatures[$1]) }!]
    #expect(expert.targetSpeed(at: tightest, speed: 8) < 8)
  }
}
