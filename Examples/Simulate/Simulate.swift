import ArgumentParser
import Simulator

// `Simulate`: the headless stand-in for the Udacity simulator.
@main
struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "A headless driving simulator that records and drives like the Udacity simulator.",
    subcommands: [
      RecordCommand.self, DriveCommand.self, ServeCommand.self, EvaluateCommand.self, RenderCommand.self,
      TracksCommand.self,
    ])
}

/// Options every subcommand that builds a world shares.
struct TrackOptions: ParsableArguments {
  @Option(help: "Built-in track (\(TrackLibrary.names.joined(separator: ", "))) or a track JSON file.")
  var track = "lake"

  @Flag(help: "Drive the track clockwise (the other way round).")
  var clockwise = false

  @Option(help: "Lighting: noon, morning, evening, overcast (record also accepts random).")
  var lighting = "noon"

  func load() throws -> Track {
    let track = try Track(named: self.track)
    return clockwise ? try track.reversed() : track
  }

  func fixedLighting() throws -> Lighting {
    guard let preset = Lighting.presets[lighting] else {
      throw ValidationError("unknown lighting '\(lighting)' (noon, morning, evening, overcast)")
    }
    return preset
  }
}
