import ArgumentParser
import DrivingData
import Foundation
import Simulator
import TensorCore

// `Bench render`: frames per second of the software renderer on one core, camera moving along the lap.
struct RenderBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render", abstract: "Software renderer: 320x160 RGB frames per second on one core.")

  @Option(help: "Track.")
  var track = "lake"

  @Option(help: "Seconds to measure.")
  var seconds = 3.0

  func run() throws {
    let track = try Track(named: self.track)
    let built = Date()
    let renderer = Renderer(track: track)
    print(String(format: "built %@ world in %.2f s", track.name, Date().timeIntervalSince(built)))
    var frame = [UInt8](repeating: 0, count: renderer.frameBytes)
    var checksum = 0
    var frames = 0
    var s = 0.0
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
      for _ in 0..<50 {
        let (p, heading) = track.pose(at: s)
        let state = VehicleState(position: p, heading: heading)
        let camera = Camera.allCases[frames % 3]
        frame.withUnsafeMutableBufferPointer { renderer.render(camera, state: state, into: $0) }
        checksum &+= Int(frame[frames % frame.count])
        frames += 1
        s += 0.9
      }
    }
    let elapsed = Date().timeIntervalSince(start)
    print("frames: \(frames), checksum \(checksum)")
    print(String(format: "render fps: %.0f", Double(frames) / elapsed))
  }
}
