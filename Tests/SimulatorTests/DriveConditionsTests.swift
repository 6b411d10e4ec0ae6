import DrivingData
import Foundation
import TensorCore
import Testing

@testable import Simulator

@Suite struct DriveConditionsTests {
  static let renderer = RendererTests.renderer
  static let state = RendererTests.onStraight(x: 10)
  static let horizonRow = 60

  @Test func noEffectsIsTheOrdinaryFrame() {
    let plain = Self.renderer.render(.center, state: Self.state)
    let image = Self.renderer.image(.center, state: Self.state, effects: FrameEffects())
    #expect(image.pixels == plain)
  }

  /// Shadows only darken, only the ground, and move with the wind.
  @Test func shadowsDarkenTheGroundOnlyAndDrift() {
    let plain = Self.renderer.render(.center, state: Self.state)
    let shadows = ShadowField(seed: 4, depth: 0.5, cover: 0.5)
    let shaded = Self.renderer.image(.center, state: Self.state, effects: FrameEffects(shadows: shadows))
      .pixels
    var darker = 0
    for i in 0..<plain.count {
      #expect(shaded[i] <= plain[i])
      if shaded[i] < plain[i] {
        darker += 1
        #expect(i / (320 * 3) > Self.horizonRow - 10, "a sky pixel was shaded")
      }
    }
    #expect(darker > plain.count / 20, "shadows on \(darker) of \(plain.count) channel values")
    let later = Self.renderer.image(
      .center, state: Self.state, effects: FrameEffects(shadows: shadows, time: 5)
    ).pixels
    #expect(later != shaded)
  }

  @Test func shadowCoverIsWhatWasAskedFor() {
    for cover in [0.2, 0.5] {
      let field = ShadowField(seed: 9, depth: 0.5, cover: cover)
      let shaded = field.factors.filter { $0 < 256 - 64 }.count
      let share = Double(shaded) / Double(field.factors.count)
      #expect(abs(share - cover) < 0.06, "cover \(cover): \(share)")
    }
  }

  /// Pitching the camera down moves the horizon up in the frame.
  @Test func pitchMovesTheHorizon() {
    func skyRows(_ pixels: [UInt8]) -> Int {
      // The sky is bluer than it is green; grass and asphalt are not.
      (0..<160).filter { v in
        let i = 3 * (v * 320 + 160)
        return Int(pixels[i + 2]) > Int(pixels[i + 1]) + 10
      }.count
    }
    let level = skyRows(Self.renderer.render(.center, state: Self.state))
    let down = skyRows(
      Self.renderer.image(.center, state: Self.state, effects: FrameEffects(pitchOffsetDegrees: 2)).pixels)
    let up = skyRows(
      Self.renderer.image(.center, state: Self.state, effects: FrameEffects(pitchOffsetDegrees: -2)).pixels)
    #expect(down < level && level < up, "sky rows: \(down) \(level) \(up)")
  }

  @Test func keepingOnlySomeKindsSwitchesTheOthersOff() {
    let all = DriveConditions.standard(seed: 1)
    let lightOnly = all.keeping(only: [.lighting])
    #expect(lightOnly.randomLighting && !lightOnly.shadows)
    #expect(lightOnly.steeringNoise == 0 && lightOnly.pitchJitterDegrees == 0)
    #expect(lightOnly.steeringRateDegrees == VehicleParameters().steeringRateDegrees)
    #expect(all.keeping(only: Set(DriveConditions.Kind.allCases)) == all)
  }

  @Test func dayTimeRunsFromDuskToNoon() {
    #expect(Lighting.dayTime(1) == .noon)
    #expect(Lighting.dayTime(0).brightness < Lighting.dayTime(0.5).brightness)
    #expect(Lighting.dayTime(0).warmth > 0)
  }

  /// The OU noise keeps its stationary deviation whatever the step.
  @Test func actuatorNoiseHasTheStatedDeviation() {
    var random = SplitMix64(seed: 3)
    for dt in [0.01, 0.05] {
      var x = 0.0
      var sum = 0.0
      let n = 40_000
      for _ in 0..<n {
        x = ConditionsState.ornsteinUhlenbeck(x, sigma: 0.03, tau: 0.2, dt: dt, random: &random)
        sum += x * x
      }
      #expect(abs((sum / Double(n)).squareRoot() - 0.03) < 0.004, "dt \(dt)")
    }
  }
}

/// Latency in simulated time: a reply takes effect N ms after its frame, the car keeps the previous
/// command meanwhile, frames leave at the fixed rate, and a fixed N and seed reproduce the drive.
@Suite struct LatencyTests {
  /// Steers full right from the first frame on, and notes when it was asked.
  final class Probe: SteeringController {
    let wantsImages = false
    var times: [Double] = []
    var wheelAngles: [Double] = []
    func controls(after observation: Observation) throws -> Controls? {
      times.append(observation.time)
      wheelAngles.append(observation.state.wheelAngle)
      return times.count > 40 ? nil : Controls(steering: 1, throttle: 0.5)
    }
  }

  func drive(_ latency: Latency?, frameRate: Double = 20, seed: UInt64 = 1) throws -> Probe {
    let track = RendererTests.stadium
    var options = DriveOptions()
    options.latency = latency
    options.frameRate = frameRate
    options.seed = seed
    let session = DriveSession(track: track, renderer: RendererTests.renderer, options: options)
    let probe = Probe()
    _ = try session.run(probe, name: "probe")
    return probe
  }

  @Test func framesLeaveAtTheFixedRate() throws {
    let probe = try drive(.fixed(milliseconds: 150, jitter: 0), frameRate: 15)
    for (k, t) in probe.times.enumerated() {
      #expect(abs(t - (Double(k) / 15 / 0.01).rounded() * 0.01) < 1e-6)
    }
  }

  @Test func theWheelsDoNotMoveBeforeTheLatency() throws {
    let probe = try drive(.fixed(milliseconds: 150, jitter: 0))
    // Frames at 0, 50, 100, 150 ms: the first command lands at 150 ms, so the wheels are straight
    // at the first four frames and turned from the fifth (200 ms) on.
    #expect(probe.wheelAngles.prefix(4).allSatisfy { $0 == 0 })
    #expect(probe.wheelAngles[4] < 0)
    let lockstep = try drive(nil)
    #expect(lockstep.wheelAngles[1] < 0)
  }

  @Test func aFixedLatencyAndSeedReproduceTheDrive() throws {
    let a = try drive(.fixed(milliseconds: 120, jitter: 40), seed: 7)
    let b = try drive(.fixed(milliseconds: 120, jitter: 40), seed: 7)
    let c = try drive(.fixed(milliseconds: 120, jitter: 40), seed: 8)
    #expect(a.wheelAngles == b.wheelAngles)
    #expect(a.wheelAngles != c.wheelAngles)
  }

  @Test func conditionsAreReproducibleAndChangeTheDrive() throws {
    func run(_ conditions: DriveConditions?) throws -> DriveEvaluation {
      let track = RendererTests.stadium
      var options = DriveOptions()
      options.latency = .fixed(milliseconds: 150, jitter: 30)
      options.conditions = conditions
      options.timeLimit = 30
      let session = DriveSession(track: track, renderer: RendererTests.renderer, options: options)
      return try session.run(
        ExpertController(expert: ExpertDriver(track: track, cruiseSpeedMph: 20)), name: "x")
    }
    let a = try run(.standard(seed: 2))
    #expect(a.latency == "150.0 +- 30.0 ms")
    #expect(a.conditions == DriveConditions.standard(seed: 2).summary)
    #expect(try run(nil).conditions == nil)
    #expect(try run(.standard(seed: 2)) == a)
    #expect(try run(.standard(seed: 3)) != a)
    #expect(try run(nil) != a)
  }
}
