import ArgumentParser
import ConvNet
import Foundation
import TensorCore

extension Precision: ExpressibleByArgument {}

// Trains the seed model on random uint8 images for a fixed time and reports images per second.
struct TrainBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Seed-model training throughput (forward, MSE, backward, Adam).")

  @Option(help: "Images per step.") var batchSize = 32
  @Option(help: "Seconds to measure (after warm-up).") var seconds = 20.0
  @Option(help: "Worker threads splitting each batch (BLAS runs single-threaded).") var threads =
    availableCores
  @Option(help: "Warm-up steps, not timed.") var warmup = 3
  @Flag(help: "Time every layer's forward and backward (adds a little overhead).") var profile = false
  @Option(help: "Arithmetic of convolutions and dense layers: fp32 or bf16 (needs AVX-512 BF16).")
  var precision: Precision = .fp32
  @Flag(help: "Under mpirun: data parallel, --batch-size split across ranks (DistributedTrainBench.swift).")
  var distributed = false

  func run() throws {
    if distributed { return try runDistributed() }
    let model = try Sequential.seedModel(seed: 1, threads: threads)
    try model.setPrecision(precision)
    let optimizer = Adam()
    var g = SplitMix64(seed: 2)
    let n = batchSize
    let images = (0..<(n * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let labels = (0..<n).map { _ in g.nextFloat(in: -0.5, 0.5) }
    let batch = SampleBatch(
      images: images, labels: labels, provenance: [], height: 128, width: 128, channels: 3)
    func step() throws -> Float {
      model.zeroGradients()
      let y = try model.forward(batch: batch, mode: .training)
      let (loss, dy) = try mseLoss(predictions: y, targets: labels)
      try model.backward(dy)
      optimizer.step(model.parameters)
      return loss
    }
    for _ in 0..<warmup { _ = try step() }
    if profile { return try profileLayers(model, optimizer: optimizer, batch: batch, labels: labels) }
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
      "steps \(steps), batch \(n), threads \(threads), \(precision), \(String(format: "%.1f", elapsed)) s, last loss \(loss), "
        + "\(String(format: "%.0f", Double(steps * n) / cpu)) img per CPU-second (wall rate / CPU use)"
    )
    print("train img/s: \(String(format: "%.0f", rate))")
  }
}

extension TrainBench {
  /// Per-layer wall time of forward and backward over about `seconds`, and the convolutions' GFLOP/s.
  func profileLayers(_ model: Sequential, optimizer: Adam, batch: SampleBatch, labels: [Float]) throws {
    let count = model.layers.count
    var forward = [Double](repeating: 0, count: count)
    var backward = [Double](repeating: 0, count: count)
    var other = 0.0
    var steps = 0
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    let start = now()
    while now() - start < seconds {
      var t = now()
      model.zeroGradients()
      var (h, first) = try batch.images.withUnsafeBufferPointer {
        try model.loadFusedInput($0, count: batch.count)
      }
      other += now() - t
      for (i, layer) in model.layers.enumerated() where i >= first {
        t = now()
        h = try layer.forward(h, mode: .training)
        forward[i] += now() - t
      }
      t = now()
      var (_, g) = try mseLoss(predictions: h, targets: labels)
      other += now() - t
      for (i, layer) in model.layers.enumerated().reversed() {
        t = now()
        g = try layer.backward(g)
        backward[i] += now() - t
        if !layer.computesInputGradient { break }
      }
      t = now()
      optimizer.step(model.parameters)
      other += now() - t
      steps += 1
    }
    let total = now() - start
    var shape = model.inputShape
    for (i, layer) in model.layers.enumerated() {
      let out = model.layerOutputShapes[i]
      var note = ""
      if let conv = layer as? Conv2D {
        let macs = Double(
          out.reduce(1, *) * conv.kernelSize.height * conv.kernelSize.width * shape[2] * batch.count)
        let passes = layer.computesInputGradient ? 2.0 : 1.0
        note = String(
          format: "  fwd %.1f GFLOP/s, bwd %.1f GFLOP/s", 2 * macs * Double(steps) / forward[i] / 1e9,
          2 * macs * passes * Double(steps) / backward[i] / 1e9)
      }
      print(
        String(
          format: "%-14@ fwd %6.2f ms  bwd %6.2f ms", layer.name, forward[i] * 1000 / Double(steps),
          backward[i] * 1000 / Double(steps)) + note)
      shape = out
    }
    print(
      String(
        format: "input (uint8 -> crop -> rescale, fused) + loss + Adam %.2f ms; step %.2f ms",
        other * 1000 / Double(steps), total * 1000 / Double(steps)))
    print("train img/s: \(String(format: "%.0f", Double(steps * batch.count) / total))")
  }
}

/// User + system CPU time of this process (all threads), in seconds.
func processCPUSeconds() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
