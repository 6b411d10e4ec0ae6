import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// Given a seed, training is reproducible: gradients are bit-identical however the cores were
/// scheduled. Conv2D hands image chunks to whichever core is
/// free; its weight-gradient partials are kept per chunk and summed in chunk order, so which core
/// took which chunk cannot change a bit of the result (with per-worker partials it did: the kill
/// harness found two uninterrupted runs ending with different weights).
@Suite struct TrainingDeterminismTests {
  static func gradients(threads: Int, batch: SampleBatch) throws -> [Float] {
    let model = try Sequential.seedModel(seed: 3, threads: threads)
    model.zeroGradients()
    let y = try model.forward(batch: batch, mode: .training)
    let (_, dy) = try mseLoss(predictions: y, targets: batch.labels)
    try model.backward(dy)
    return Array(UnsafeBufferPointer(start: model.parameters.gradients, count: model.parameterCount))
  }

  static func batch(_ n: Int) -> SampleBatch {
    var g = SplitMix64(seed: 21)
    let images = (0..<(n * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let targets = (0..<n).map { _ in g.nextFloat(in: -0.5, 0.5) }
    return SampleBatch(
      images: images, labels: targets, provenance: [], height: 128, width: 128, channels: 3)
  }

  @Test(arguments: [32, 13]) func gradientsAreBitIdenticalHoweverTheCoresAreScheduled(n: Int) throws {
    let batch = Self.batch(n)
    let one = try Self.gradients(threads: 2, batch: batch)
    #expect(one.contains { $0 != 0 })
    // Again, with a third thread spinning so that the chunks land on the two workers unevenly.
    let stop = SpinStop()
    let spinner = Thread { stop.spin() }
    spinner.start()
    defer { stop.set() }
    for round in 0..<6 {
      let two = try Self.gradients(threads: 2, batch: batch)
      let differing = zip(one, two).filter { $0.bitPattern != $1.bitPattern }.count
      #expect(differing == 0, "round \(round): \(differing) of \(one.count) gradients differ in some bit")
    }
  }
}

/// A flag a busy thread polls.
private final class SpinStop: @unchecked Sendable {
  private let lock = NSLock()
  private var stopped = false
  func set() { lock.withLock { stopped = true } }
  func spin() {
    var x = 0.0
    while !lock.withLock({ stopped }) {
      for i in 0..<10_000 { x += Double(i) }
    }
    if x < 0 { print(x) }
  }
}
