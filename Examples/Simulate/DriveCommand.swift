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
