import ArgumentParser
import ConvNet
import Foundation
import TensorCore

// Batch-1 latency of the seed model on one thread: one uint8 image in, one steering angle out,
// through the allocation-free single-image path.
struct InferBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "infer", abstract: "Seed-model batch-1 inference latency (one thread), p50 and p99.")

  @Option(help: "Seconds to measure (after warm-up).") var seconds = 10.0
  @Option(help: "Stop after this many runs (e.g. to count allocations under valgrind).") var runs = Int.max
  @Option(help: "Threads each convolution is split across, by channel tile or output row (1: no split).")
  var splitThreads = 1
  @Flag(help: "Also print each layer's median time.") var layers = false

  func run() throws {
    BLAS.threads = 1
    let model = try Sequential.seedModel(seed: 1, threads: 1)
    model.singleImageThreads = splitThreads
    var g = SplitMix64(seed: 3)
    let image = (0..<(128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    var latencies: [Double] = []
    latencies.reserveCapacity(1 << 20)
    var sink: Float = 0
    try image.withUnsafeBufferPointer { buffer in
      for _ in 0..<20 { sink += try model.predict(image: buffer) }
      let start = DispatchTime.now().uptimeNanoseconds
      var now = start
      while Double(now - start) < seconds * 1e9 && latencies.count < runs {
        let t0 = DispatchTime.now().uptimeNanoseconds
        sink += try model.predict(image: buffer)
        now = DispatchTime.now().uptimeNanoseconds
        latencies.append(Double(now - t0) / 1e6)
      }
    }
    if layers { try printLayers(model, image: image) }
    latencies.sort()
    func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] }
    print(
      "runs \(latencies.count), mean \(String(format: "%.3f", latencies.reduce(0, +) / Double(latencies.count))) ms (checksum \(sink))"
    )
    print("infer b1 ms: p50 \(String(format: "%.3f", pct(0.5))) p99 \(String(format: "%.3f", pct(0.99)))")
  }

  /// Median time of each layer's batch-1 forward (after the fused input conversion), in µs.
  func printLayers(_ model: Sequential, image: [UInt8]) throws {
    let (x, first) = try image.withUnsafeBufferPointer { try model.loadFusedInput($0, count: 1) }
    var times = [[Double]](repeating: [], count: model.layers.count)
    for _ in 0..<500 {
      var h = x
      for index in first..<model.layers.count {
        let t0 = DispatchTime.now().uptimeNanoseconds
        h = try model.layers[index].forward(h, mode: .inference)
        times[index].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
      }
    }
    for index in first..<model.layers.count {
      let sorted = times[index].sorted()
      print(String(format: "  %@: %.1f us", model.layers[index].name, sorted[sorted.count / 2]))
    }
  }
}
