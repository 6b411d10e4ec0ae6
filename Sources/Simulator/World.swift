// The simulation: a car on a track, advanced in fixed physics steps, with lap counting and the
// off-road rule (a wheel outside the road puts the car back on the centre line).
import Foundation

/// Counts laps from the progress along the centre line (wrap-around aware, backwards driving undoes progress).
public struct LapCounter: Sendable, Hashable {
  public let lapLength: Double
  /// Metres driven along the lap since the start (negative if driven backwards).
  public private(set) var progress = 0.0
  public private(set) var lapTimes: [Double] = []
  private var lastS: Double
  private var lapStart: Double

  public init(lapLength: Double, startS: Double, startTime: Double = 0) {
    self.lapLength = lapLength
    lastS = startS
    lapStart = startTime
  }

  public var lapsCompleted: Int { lapTimes.count }

  /// Feeds the car's new arc-length position; a lap completes each time progress passes a multiple of the lap.
  public mutating func update(s: Double, time: Double) {
    var ds = s - lastS
    if ds > lapLength / 2 { ds -= lapLength }
    if ds < -lapLength / 2 { ds += lapLength }
    lastS = s
    progress += ds
    while progress >= Double(lapTimes.count + 1) * lapLength {
      lapTimes.append(time - lapStart)
      lapStart = time
    }
  }
}

/// A car on a track. Single-threaded; copy it to fork a simulation.
public struct World: Sendable {
  public let track: Track
  public var vehicle: Vehicle
  public private(set) var time = 0.0
  public private(set) var laps: LapCounter
  /// Off-road events so far (each put the car back on the centre line).
  public private(set) var offRoadEvents = 0
  private var hint: Int
  private var pending = 0.0

  /// A car at rest on the start line, facing along the road.
  public init(track: Track, parameters: VehicleParameters = VehicleParameters(), startS: Double = 0) {
    self.track = track
    let (p, heading) = track.pose(at: startS)
    // The rear axle sits half a wheelbase behind the start point so the car's centre is on it.
    let rear = p - Vec2(heading: heading) * (parameters.wheelbase / 2)
    vehicle = Vehicle(parameters: parameters, state: VehicleState(position: rear, heading: heading))
    let location = track.locate(vehicle.center)
    hint = location.segment
    laps = LapCounter(lapLength: track.length, startS: location.s)
  }

  /// Where the car's centre is relative to the centre line.
  public var location: TrackLocation { track.locate(vehicle.center, hint: hint) }

  /// True when any wheel is outside the road.
  public var isOffRoad: Bool {
    vehicle.wheels.contains { abs(track.locate($0, hint: hint).lateral) > track.halfWidth }
  }

  public mutating func apply(_ controls: Controls) { vehicle.state.controls = controls }

  /// Advances simulated time by `duration` in fixed physics steps (a remainder carries to the next call).
  /// Returns the number of off-road events during the interval.
  @discardableResult
  public mutating func advance(by duration: Double) -> Int {
    pending += duration
    var events = 0
    let dt = Vehicle.physicsStep
    while pending >= dt - 1e-9 {
      pending -= dt
      vehicle.step(dt: dt)
      time += dt
      let here = track.locate(vehicle.center, hint: hint)
      hint = here.segment
      laps.update(s: here.s, time: time)
      if isOffRoad {
        events += 1
        putBackOnCentreLine(here)
      }
    }
    offRoadEvents += events
    return events
  }

  /// The intervention: the car is set on the nearest centre-line point, facing along the road,
  /// wheels straight, keeping its speed.
  public mutating func putBackOnCentreLine(_ here: TrackLocation? = nil) {
    let here = here ?? location
    let (p, heading) = track.pose(at: here.s)
    let state = vehicle.state
    var reset = VehicleState(
      position: p - Vec2(heading: heading) * (vehicle.parameters.wheelbase / 2), heading: heading,
      speed: state.speed)
    reset.controls = state.controls
    vehicle.state = reset
  }
}
