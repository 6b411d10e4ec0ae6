import ArgumentParser
import DrivingData
import Foundation
import Simulator

struct RecordCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "record",
    abstract: "Drive with the expert and record driving_log.csv + IMG/ exactly as the Unity simulator does.")

  @OptionGroup var world: TrackOptions

  @Option(help: "Laps to drive.")
  var laps = 1

  @Option(help: "Recording folder (driving_log.csv and IMG/ are appended to).")
  var output: String

  @Option(help: "Cruise speed (mph, at most 30).")
  var speed = 25.0

  @Option(help: "Seed of recoveries, noise and random lighting.")
  var seed: UInt64 = 1

  @Option(
    help:
      "Steering noise (standard deviation, normalized units) added to the applied steering; the label stays the expert's."
  )
  var noise = 0.0

  @Flag(help: "Drift to the road edge (not recorded) and record the recovery, every 5-12 s.")
  var recoveries = false

  @Option(help: "Stop after this many rows.")
  var maxRows: Int?

  @Flag(
    help:
      "Record under drive's test-time conditions: lighting dusk to noon (new every 8 s), drifting cloud shadows, camera pitch jitter (seeded by --seed)."
  )
  var conditions = false

  func validate() throws {
    guard laps >= 1 else { throw ValidationError("--laps must be at least 1") }
    guard speed > 0, speed <= 30 else { throw ValidationError("--speed must be in (0, 30] mph") }
    guard noise >= 0, noise <= 1 else { throw ValidationError("--noise must be in [0, 1]") }
  }

  func run() throws {
    let track = try world.load()
    var options = RecordingOptions()
    options.laps = laps
    options.cruiseSpeedMph = speed
    options.seed = seed
    options.steeringNoise = noise
    options.recoveries = recoveries
    options.maxRows = maxRows
    if conditions { options.conditions = .standard(seed: seed) }
    if world.lighting == "random" {
      options.randomLighting = true
    } else {
      options.lighting = try world.fixedLighting()
    }
    let renderer = Renderer(track: track)
    let started = Date()
    let writer = try RecordingWriter(directory: output)
    let recorder = Recorder(track: track, renderer: renderer, options: options)
    var lastPrint = Date.distantPast
    let report = try recorder.record(to: writer) { rows, done in
      let now = Date()
      guard now.timeIntervalSince(lastPrint) >= 1 else { return }
      lastPrint = now
      let elapsed = now.timeIntervalSince(started)
      let eta = done > 0 ? elapsed * (1 - done) / done : 0
      print(
        String(
          format: "  %6d rows  %5.1f%%  %.0f rows/s  ETA %.0f s", rows, done * 100, Double(rows) / elapsed,
          eta))
    }
    writer.close()
    let seconds = Date().timeIntervalSince(started)
    print("recorded \(track.name)\(world.clockwise ? " clockwise" : ""): \(report)")
    print(
      String(
        format: "wrote %@ in %.1f s (%.0f rows/s)", writer.logPath, seconds, Double(report.rows) / seconds))
  }
}
