import ArgumentParser
import Foundation
import Simulator

struct TracksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tracks", abstract: "List the built-in tracks, or write them as JSON to edit into new ones.")

  @Option(help: "Folder to write <name>.json for every built-in track.")
  var export: String?

  func run() throws {
    for name in TrackLibrary.names {
      let track = try Track(named: name)
      let radius = 1 / track.curvatures.map(abs).max()!
      print(
        String(
          format: "%@: %.0f m a lap, road %.1f m, tightest radius %.0f m", name, track.length,
          track.spec.roadWidth, radius))
      if let export {
        try FileManager.default.createDirectory(atPath: export, withIntermediateDirectories: true)
        let path = (export as NSString).appendingPathComponent("\(name).json")
        try track.spec.jsonData().write(to: URL(fileURLWithPath: path))
        print("  wrote \(path)")
      }
    }
  }
}
