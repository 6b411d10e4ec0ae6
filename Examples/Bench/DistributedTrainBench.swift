import Cluster
import ConvNet
import Foundation
import TensorCore

// `mpirun -np N Bench train --distributed`: the seed model's data-parallel step (each rank its share
// of the global batch, gradients summed over MPI), with the sum overlapped with backward and after
// it, next to an uncontended allreduce of the whole gradient buffer. Rank 0 prints.
extension TrainBench {
  func runDistributed() throws {
    let world = try MPIWorld.start()
    // An error on one rank would leave the others waiting in a collective: end the job instead.
    do { try measureDistributed(world) } catch { world.abort("\(error)") }
    world.finalize()
  }

  private func measureDistributed(_ world: MPIWorld) throws {
    let lead = world.rank == 0
    let share = world.share(of: batchSize)
    let model = try Sequential.seedModel(seed: 1, threads: min(threads, world.coresPerRank))
    let optimizer = Adam()
    var g = SplitMix64(seed: 2).derived(UInt64(world.rank))
    let n = share.count
    let images = (0..<(n * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let labels = (0..<n).map { _ in g.nextFloat(in: -0.5, 0.5) }
    let batch = SampleBatch(
      images: images, labels: labels, provenance: [], height: 128, width: 128, channels: 3)

    /// One step; returns (end of this rank's backward, sum available), monotonic seconds.
    @discardableResult
    func step(bucketFloats: Int) throws -> (Double, Double) {
      model.zeroGradients()
      let sum = BucketedSum(
        group: world, buckets: GradientBuckets(model: model, floats: bucketFloats), store: model.parameters,
        weight: Float(n) / Float(batchSize))
      let y = try model.forward(batch: batch, mode: .training)
      let (_, dy) = try mseLoss(predictions: y, targets: labels)
      model.onGradientsReady = { sum.ready(from: $0) }
      defer { model.onGradientsReady = nil }
      try model.backward(dy)
      let backwardDone = monotonic()
      try sum.finish()
      let summed = monotonic()
      optimizer.step(model.parameters)
      return (backwardDone, summed)
    }
    for _ in 0..<warmup { try step(bucketFloats: 65_536) }
    // Every rank must take the same number of steps: rank 0 sizes the run from its warm-up pace.
    let probe = Date()
    try step(bucketFloats: 65_536)
    let perStep = Date().timeIntervalSince(probe)
    let steps = Int(try world.sum([lead ? max(3, (seconds / 2 / max(perStep, 1e-3)).rounded()) : 0])[0])

    var rows: [(name: String, rate: Double, waited: Double, exposed: Double)] = []
    for (name, floats) in [("overlapped", 65_536), ("after backward", 0)] {
      try world.barrier(timeout: nil)
      let (waited0, exchanges0) = (world.exposedSeconds, world.exchanges)
      let start = Date()
      for _ in 0..<steps { try step(bucketFloats: floats) }
      let elapsed = Date().timeIntervalSince(start)
      let waited = (world.exposedSeconds - waited0) / Double(max(world.exchanges - exchanges0, 1))
      // Communication left exposed: from the moment the last rank finished backward until the sum
      // is here (ranks of one host share CLOCK_MONOTONIC). Waiting for a slower rank is not counted.
      var exposed: [Double] = []
      for _ in 0..<max(3, steps / 2) {
        let (backwardDone, summed) = try step(bucketFloats: floats)
        let ends = try world.gather(backwardDone.bitPattern).map { Double(bitPattern: $0) }
        exposed.append(max(0, summed - (ends.max() ?? backwardDone)))
      }
      exposed.sort()
      rows.append(
        (name, Double(steps * batchSize) / elapsed, waited * 1000, exposed[exposed.count / 2] * 1000))
    }
    // The same exchange alone: every rank arrives together, nothing else runs.
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: model.parameterCount)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: model.parameterCount)
    var times: [Double] = []
    for _ in 0..<50 {
      try world.barrier(timeout: nil)
      let t = Date()
      try world.sumInPlace(buffer, count: model.parameterCount)
      times.append(Date().timeIntervalSince(t) * 1000)
    }
    times.sort()
    guard lead else { return }
    print(
      "ranks \(world.size), global batch \(batchSize) (\(n) per rank), threads per rank \(model.threads), \(steps) steps each"
    )
    for row in rows {
      print(
        String(
          format:
            "sum %@: %.0f img/s; rank 0 waited %.3f ms per step after its backward, %.3f ms (median) after the last rank's",
          row.name, row.rate, row.waited, row.exposed))
    }
    let blocking = rows[1].exposed
    let hidden = blocking > 0 ? max(0, 1 - rows[0].exposed / blocking) : 0
    print(
      String(
        format:
          "allreduce of %d floats alone: median %.3f ms, p90 %.3f ms; communication hidden by overlap: %.0f%%",
        model.parameterCount, times[times.count / 2], times[times.count * 9 / 10], hidden * 100))
    print("distributed train img/s: \(String(format: "%.0f", rows[0].rate))")
  }
}

/// CLOCK_MONOTONIC in seconds: the same clock in every process of one host.
private func monotonic() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
