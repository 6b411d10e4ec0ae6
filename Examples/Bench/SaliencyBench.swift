import ArgumentParser
import ConvNet
import DrivingData
import Foundation
import ModelFile
import Simulator
import TensorCore

// `Bench saliency`: what Drive --saliency adds per reply. The seed model (one thread) behind the seed
// pipeline on rendered lake frames: steering alone (prepare + forward), steering with the
// VisualBackProp mask from the same forward (+ mask mapped back to 320x160 and quantised), and
// that plus the PNG + base64 the reply carries.
struct SaliencyBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "saliency",
    abstract: "Drive --saliency: added milliseconds per reply (seed model, one thread).")

  @Option(help: "Seconds to measure each variant (after warm-up).") var seconds = 5.0

  func run() throws {
    BLAS.threads = 1
    let model = try Sequential.seedModel(seed: 1, threads: 1)
    var predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let track = try Track(named: "lake")
    let renderer = Renderer(track: track)
    let frames = (0..<16).map { i -> RGBImage in
      let (p, heading) = track.pose(at: Double(i) * 37)
      return renderer.image(.center, state: VehicleState(position: p, heading: heading))
    }
    let png = PNGCodec(compression: 1)
    var sink = 0.0
    var bytes = 0
    // Wall-clock and this thread's CPU time per call: on a loaded machine the wall time includes
    // waiting for a core, the CPU time does not.
    func cpuNanoseconds() -> Double {
      var t = timespec()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
      return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
    }
    func measure(_ label: String, _ body: (RGBImage) throws -> Void) throws -> (wall: Double, cpu: Double) {
      for f in frames { try body(f) }
      var wall: [Double] = []
      var cpu: [Double] = []
      let start = DispatchTime.now().uptimeNanoseconds
      var i = 0
      while Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9 {
        let (t0, c0) = (DispatchTime.now().uptimeNanoseconds, cpuNanoseconds())
        try body(frames[i % frames.count])
        cpu.append((cpuNanoseconds() - c0) / 1e6)
        wall.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        i += 1
      }
      wall.sort()
      cpu.sort()
      func pct(_ v: [Double], _ p: Double) -> Double { v[min(v.count - 1, Int(p * Double(v.count)))] }
      print(
        String(
          format: "%@: runs %d, wall p50 %.3f ms p99 %.3f ms, CPU p50 %.3f ms", label, wall.count,
          pct(wall, 0.5),
          pct(wall, 0.99), pct(cpu, 0.5)))
      return (pct(wall, 0.5), pct(cpu, 0.5))
    }
    let plain = try measure("steering") { sink += Double(try predictor.steering(for: $0)) }
    let mask = try measure("steering + saliency mask") {
      let (s, m) = try predictor.steeringAndSaliency(for: $0)
      sink += Double(s) + Double(m.pixels[1000])
    }
    let wire = try measure("steering + saliency + PNG + base64") {
      let (s, m) = try predictor.steeringAndSaliency(for: $0)
      let text = Data(try m.pngData(codec: png)).base64EncodedString()
      bytes = text.utf8.count
      sink += Double(s)
    }
    print(
      String(
        format:
          "added per reply (p50): mask %.3f ms wall, %.3f ms CPU; mask + PNG + base64 %.3f ms wall, %.3f ms CPU",
        mask.wall - plain.wall, mask.cpu - plain.cpu, wire.wall - plain.wall, wire.cpu - plain.cpu))
    print("saliency field of the last frame: \(bytes) bytes (checksum \(sink))")
  }
}
