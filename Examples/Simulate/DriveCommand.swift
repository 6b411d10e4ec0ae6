import ArgumentParser
import DrivingData
import Foundation
import Simulator

struct DriveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drive",
    abstract:
      "Autonomous mode: connect to a Drive server as the Unity client does (or drive with the expert) and evaluate."
  )

  @OptionGroup var world: TrackOptions

  @Option(help: "Laps to drive.")
  var laps = 1

  @Option(help: "Drive server host.")
  var host = "127.0.0.1"

  @Option(help: "Drive server port.")
  var port = 4567

  @Flag(help: "Drive with the built-in expert instead of a server (the reference row).")
  var autopilot = false

  @Option(help: "Expert cruise speed (mph) with --autopilot.")
  var speed = 25.0

  @Option(help: "Simulated seconds each reply advances (lockstep).")
  var step = 0.05

  @Flag(help: "Real time: each reply advances by the wall-clock time since the previous one.")
  var realTime = false

  @Option(
    help: ArgumentHelp(
      "Latency in simulated time: each reply takes effect N ms after its frame was taken (auto: the measured round trip); frames leave at --frame-rate.",
      valueName: "N|auto"))
  var latencyMs: LatencyArgument?

  @Option(help: "Uniform jitter of --latency-ms, +-J ms (seeded by --seed).")
  var latencyJitterMs = 0.0

  @Option(help: "Telemetry frames per simulated second with --latency-ms (the Unity client's: about 20).")
  var frameRate = 20.0

  @Flag(
    help:
      "Test-time conditions: lighting dusk to noon per lap, moving cloud shadows, steering actuator noise and rate limit, camera pitch jitter (seeded by --seed)."
  )
  var conditions = false

  @Option(
    help: ArgumentHelp(
      "With --conditions, only these of them (comma-separated): lighting, shadows, actuator, pitch.",
      valueName: "LIST"))
  var onlyConditions: String?

  @Option(help: "Seed of the latency jitter and the conditions.")
  var seed: UInt64 = 1

  @Option(help: "Give up after this many simulated seconds.")
  var timeLimit = 600.0

  @Option(help: "Write the evaluation as JSON here.")
  var report: String?

  @Option(help: "Write the top-down picture of the driven path (PNG) here.")
  var picture: String?

  @Option(help: "Save every centre frame here (UTC-timestamped JPEGs, as drive.py names them).")
  var frames: String?

  func validate() throws {
    guard laps >= 1 else { throw ValidationError("--laps must be at least 1") }
    guard step > 0, step <= 0.5 else { throw ValidationError("--step must be in (0, 0.5] s") }
    guard latencyMs == nil || !realTime else {
      throw ValidationError("--latency-ms runs in simulated time; leave out --real-time")
    }
    guard latencyJitterMs >= 0 else { throw ValidationError("--latency-jitter-ms must be >= 0") }
    if case .milliseconds(let ms) = latencyMs, latencyJitterMs > ms {
      throw ValidationError("--latency-jitter-ms must not exceed --latency-ms")
    }
    guard onlyConditions == nil || conditions else {
      throw ValidationError("--only-conditions needs --conditions")
    }
    guard frameRate >= 1, frameRate <= 100 else { throw ValidationError("--frame-rate must be in 1...100") }
  }

  func run() throws {
    let track = try world.load()
    var options = DriveOptions()
    options.laps = laps
    options.stepSeconds = step
    options.realTime = realTime
    options.timeLimit = timeLimit
    options.lighting = try world.fixedLighting()
    options.framesDirectory = frames
    options.seed = seed
    options.frameRate = frameRate
    switch latencyMs {
    case .milliseconds(let ms): options.latency = .fixed(milliseconds: ms, jitter: latencyJitterMs)
    case .auto: options.latency = .measured
    case nil: break
    }
    if conditions {
      var c = DriveConditions.standard(seed: seed)
      if let list = onlyConditions {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let kinds = names.compactMap(DriveConditions.Kind.init(rawValue:))
        guard kinds.count == names.count else {
          let known = DriveConditions.Kind.allCases.map(\.rawValue)
          throw ValidationError(
            "--only-conditions: unknown \(names.filter { !known.contains($0) }); use \(known)")
        }
        c = c.keeping(only: Set(kinds))
      }
      options.conditions = c
    }
    if let latency = options.latency { print("latency \(latency), \(frameRate) frames/s (simulated time)") }
    if let c = options.conditions { print("conditions: \(c.summary)") }
    let renderer = Renderer(track: track)
    let session = DriveSession(track: track, renderer: renderer, options: options)
    let controller: any SteeringController
    let name: String
    if autopilot {
      controller = ExpertController(expert: ExpertDriver(track: track, cruiseSpeedMph: speed))
      name = "autopilot"
    } else {
      print("connecting to ws://\(host):\(port)\(remotePath)")
      controller = try RemoteController(host: host, port: port)
      name = "remote \(host):\(port)"
    }
    let started = Date()
    let result = try session.run(controller, name: name) { partial in
      let rate = Double(partial.frames) / Date().timeIntervalSince(started)
      if Int(partial.elapsedS) % 10 == 0 {
        print(
          String(
            format: "  t=%4.0f s  laps %d  off-road %d  CTE %.2f m  %.1f mph  %.0f frames/s",
            partial.elapsedS, partial.laps, partial.offroadEvents, partial.meanCteM, partial.meanSpeedMph,
            rate))
      }
    }
    if let remote = controller as? RemoteController {
      print(
        "protocol: \(remote.telemetrySent) telemetry sent, \(remote.repliesReceived) replies, "
          + "\(remote.protocolErrors) unparsable, \(remote.reconnects) reconnects")
    }
    print(result.summary)
    if let report {
      try result.jsonData().write(to: URL(fileURLWithPath: report))
      print("wrote \(report)")
    }
    if let picture {
      try session.writePicture(to: picture)
      print("wrote \(picture)")
    }
    if result.stalled { throw ExitCode(2) }
  }

  private var remotePath: String { "/socket.io/?EIO=4&transport=websocket" }
}

/// `--latency-ms 150` or `--latency-ms auto`.
enum LatencyArgument: ExpressibleByArgument, Equatable {
  case milliseconds(Double)
  case auto

  init?(argument: String) {
    if argument.lowercased() == "auto" {
      self = .auto
    } else if let ms = Double(argument), ms >= 0, ms <= 5000 {
      self = .milliseconds(ms)
    } else {
      return nil
    }
  }
}
