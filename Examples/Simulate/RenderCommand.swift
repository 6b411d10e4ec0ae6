import ArgumentParser
import DrivingData
import Foundation
import Simulator
import TensorCore

struct RenderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render", abstract: "Save what the three cameras see at a point of the lap (PNG).")

  @OptionGroup var world: TrackOptions

  @Option(help: "Metres along the lap from the start line.")
  var at = 0.0

  @Option(help: "Sideways offset from the centre line (m, positive left).")
  var offset = 0.0

  @Option(help: "Output folder.")
  var output = "."

  func run() throws {
    let track = try world.load()
    let renderer = Renderer(track: track)
    let (p, heading) = track.pose(at: at)
    let centre = p + Vec2(heading: heading).leftNormal * offset
    let rear = centre - Vec2(heading: heading) * (VehicleParameters().wheelbase / 2)
    let state = VehicleState(position: rear, heading: heading)
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    for camera in Camera.allCases {
      let path = (output as NSString).appendingPathComponent("\(track.name)_\(Int(at))_\(camera).png")
      try PNGCodec().write(
        renderer.image(camera, state: state, lighting: try world.fixedLighting()), to: path)
      print("wrote \(path)")
    }
  }
}
