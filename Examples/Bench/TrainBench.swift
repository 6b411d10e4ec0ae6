import ArgumentParser
import ConvNet
import Foundation
import TensorCore

// Trains the seed model on random uint8 images for a fixed time and reports images per second.
struct TrainBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Seed-model training throughput (forward, MSE, backward, Adam).")

  @Option(help: "Images per step.") var batchSize = 32
  @Option(help: "Seconds to measure (after warm-up).") var seconds = 20.0
  @Option(help: "Worker threads splitting each batch (BLAS runs single-threaded).") var threads =
    availableCores
  @Option(help: "Warm-up steps, not timed.") var warmup = 3

  func run() throws {
    let model = try Sequential.seedModel(seed: 1, threads: threads)
    let optimizer = Adam()
    var g = SplitMix64(seed: 2)
    let n = batchSize
    let images = (0..<(n * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let labels = (0..<n).map { _ in g.nextFloat(in: -0.5, 0.5) }
    let batch = SampleBatch(
      images: images, steering: labels, provenance: [], height: 128, width: 128, channels: 3)
    func step() throws -> Float {
      model.zeroGradients()
      let y = try model.forward(batch: batch, mode: .training)
      let (loss, dy) = try mseLoss(predictions: y, targets: labels)
      try model.backward(dy)
      optimizer.step(model.parameters)
      return loss
    }
    for _ in 0..<warmup { _ = try step() }
    let cpuStart = processCPUSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    var steps = 0
    var elapsed = 0.0
    var loss: Float = 0
    while elapsed < seconds {
      loss = try step()
      steps += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    let rate = Double(steps * n) / elapsed
    let cpu = processCPUSeconds() - cpuStart
    print(
      "steps \(steps), batch \(n), threads \(threads), \(String(format: "%.1f", elapsed)) s, last loss \(loss), "
        + "\(String(format: "%.0f", Double(steps * n) / cpu)) img per CPU-second (wall rate / CPU use)"
    )
    print("train img/s: \(String(format: "%.0f", rate))")
  }
}

/// User + system CPU time of this process (all threads), in seconds.
func processCPUSeconds() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
