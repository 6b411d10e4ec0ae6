import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// A batch-1 forward split across threads (`Sequential.singleImageThreads`: Conv2D by channel tile,
/// or by output rows for a one-tile layer) gives exactly the bits of the single-thread forward,
/// layer by layer, on both presets; and the handoff holds up over many calls and concurrent models.
@Suite(.enabled(if: DirectConv.isAvailable)) struct SingleImageSplitTests {
  static func model(_ preset: String, split: Int) throws -> Sequential {
    let m =
      preset == "seed"
      ? try Sequential.seedModel(seed: 5, dropout: 0, threads: 1)
      : try Sequential.pilotNet(seed: 5, dropout: 0, threads: 1)
    // Keras initialises biases to zero; random ones make each tile's bias packing count.
    var g = SplitMix64(seed: 404)
    for case let conv as Conv2D in m.layers {
      for i in 0..<conv.bias.count { conv.bias.values[i] = g.nextFloat(in: -0.2, 0.2) }
    }
    m.singleImageThreads = split
    return m
  }

  /// Chunks helper threads ran in the model's split forwards so far.
  static func helperChunks(_ m: Sequential) -> Int {
    m.layers.compactMap { $0 as? Conv2D }.reduce(0) { $0 + $1.helperChunks }
  }

  /// y = act(conv(x) + b) of one image in Double, straight from the definition: x (H, W, C), the
  /// HWIO kernel (KH, KW, C, OC), valid padding. Also returns sum |x * w| + |b| per output, the
  /// scale of the FP32 kernels' rounding error.
  static func naiveConv(_ conv: Conv2D, _ x: [Float], h: Int, w: Int) -> (y: [Double], scale: [Double]) {
    let (kh, kw) = conv.kernelSize
    let (sy, sx) = conv.stride
    let c = conv.inputChannels
    let oc = conv.outputChannels
    let oh = (h - kh) / sy + 1
    let ow = (w - kw) / sx + 1
    var y = [Double](repeating: 0, count: oh * ow * oc)
    var scale = y
    let k = conv.kernel.values
    let b = conv.bias.values
    for oy in 0..<oh {
      for ox in 0..<ow {
        for o in 0..<oc {
          var sum = Double(b[o])
          var magnitude = abs(Double(b[o]))
          for ky in 0..<kh {
            for kx in 0..<kw {
              for ci in 0..<c {
                let xv = Double(x[((oy * sy + ky) * w + ox * sx + kx) * c + ci])
                let wv = Double(k[((ky * kw + kx) * c + ci) * oc + o])
                sum += xv * wv
                magnitude += abs(xv * wv)
              }
            }
          }
          let i = (oy * ow + ox) * oc + o
          switch conv.activation {
          case .linear: y[i] = sum
          case .relu: y[i] = max(sum, 0)
          case .elu: y[i] = sum > 0 ? sum : expm1(sum)
          }
          scale[i] = magnitude
        }
      }
    }
    return (y, scale)
  }

  static func images(_ m: Sequential, count: Int, seed: UInt64) -> [[UInt8]] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in
      (0..<m.inputShape.reduce(1, *)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    }
  }

  /// Every layer's output after a batch-1 inference forward, as bit patterns.
  static func layerBits(_ m: Sequential, image: [UInt8]) throws -> [[UInt32]] {
    let (x, first) = try image.withUnsafeBufferPointer { try m.loadFusedInput($0, count: 1) }
    var h = x
    var bits: [[UInt32]] = []
    for layer in m.layers[first...] {
      h = try layer.forward(h, mode: .inference)
      bits.append(h.scalars.map(\.bitPattern))
    }
    return bits
  }

  @Test(arguments: ["seed", "pilotnet"]) func splitForwardIsBitIdentical(preset: String) throws {
    let single = try Self.model(preset, split: 1)
    for split in [2, 3] {
      let parallel = try Self.model(preset, split: split)
      #expect(parallel.layers.compactMap { $0 as? Conv2D }.allSatisfy { $0.singleImageThreads == split })
      for image in Self.images(single, count: 6, seed: 21) {
        let reference = try Self.layerBits(single, image: image)
        let split = try Self.layerBits(parallel, image: image)
        // Compared outside #expect: on a mismatch its diff of million-element arrays never ends.
        let differing = reference.indices.filter {
          split.count != reference.count || split[$0] != reference[$0]
        }
        #expect(
          differing.isEmpty,
          "\(preset): layers \(differing) of the split forward differ from the single-thread one")
        let a = try image.withUnsafeBufferPointer { try single.predict(image: $0) }
        let b = try image.withUnsafeBufferPointer { try parallel.predict(image: $0) }
        #expect(a.bitPattern == b.bitPattern)
      }
      #expect(parallel.layers.compactMap { $0 as? Conv2D }.allSatisfy { $0.usesDirectKernels })
    }
    // The seed model's outputs are not trivially equal (all zero, say).
    let outputs = try Self.images(single, count: 2, seed: 3).map { image in
      try image.withUnsafeBufferPointer { try single.predict(image: $0) }
    }
    #expect(outputs[0] != outputs[1])
  }

  @Test(arguments: ["seed", "pilotnet"]) func splitForwardMatchesTheNaiveConvolution(preset: String) throws {
    // Every convolution of a split forward against the definition, on that layer's own input. The
    // bound is the textbook one for FP32 sums of K products (K * 2^-24 of sum |x * w|, K up to 900
    // here: 5.4e-5) plus 1e-6 for the ELU polynomial: a misplaced row, tile or bias is off by far more.
    let m = try Self.model(preset, split: 2)
    let image = Self.images(m, count: 1, seed: 8)[0]
    let (x, first) = try image.withUnsafeBufferPointer { try m.loadFusedInput($0, count: 1) }
    var h = x
    var checked = 0
    for layer in m.layers[first...] {
      let input = h
      h = try layer.forward(h, mode: .inference)
      guard let conv = layer as? Conv2D else { continue }
      let k = conv.kernelSize.height * conv.kernelSize.width * conv.inputChannels
      let (reference, scale) = Self.naiveConv(conv, input.scalars, h: input.shape[1], w: input.shape[2])
      let got = h.scalars
      #expect(got.count == reference.count)
      var worst = 0.0
      for i in got.indices {
        let bound = Double(k) * 0x1p-24 * scale[i] + 1e-6
        worst = max(worst, abs(Double(got[i]) - reference[i]) / bound)
      }
      #expect(
        worst <= 1, "\(preset) \(conv.name): split output off the naive convolution (\(worst) x the bound)")
      checked += 1
    }
    #expect(checked == 5)
  }

  @Test func batchesAndTrainingAreUnchangedBySplitting() throws {
    // singleImageThreads only concerns batch 1: a batch of 3 takes the batch path either way.
    let a = try Self.model("seed", split: 1)
    let b = try Self.model("seed", split: 2)
    let images = Self.images(a, count: 3, seed: 9).flatMap { $0 }
    let batch = SampleBatch(
      images: images, labels: [0, 0, 0], provenance: [], height: 128, width: 128, channels: 3)
    let ya = try a.forward(batch: batch, mode: .inference).scalars.map(\.bitPattern)
    let yb = try b.forward(batch: batch, mode: .inference).scalars.map(\.bitPattern)
    let sameOutputs = ya == yb  // outside #expect, which would diff the arrays on a mismatch
    #expect(sameOutputs)
    // A batch-1 training forward splits too and still trains: the same loss and gradients.
    var grads: [[UInt32]] = []
    for m in [a, b] {
      let one = SampleBatch(
        images: Array(images.prefix(128 * 128 * 3)), labels: [0.25], provenance: [], height: 128, width: 128,
        channels: 3)
      m.zeroGradients()
      let y = try m.forward(batch: one, mode: .training)
      let (_, dy) = try mseLoss(predictions: y, targets: [0.25])
      try m.backward(dy)
      grads.append(
        Array(UnsafeBufferPointer(start: m.parameters.gradients, count: m.parameterCount)).map(\.bitPattern))
    }
    let sameGradients = grads[0] == grads[1]
    #expect(sameGradients)
  }

  @Test func handoffSurvivesManyCallsAndConcurrentModels() throws {
    let reference = try Self.model("seed", split: 1)
    let images = Self.images(reference, count: 4, seed: 77)
    let expected = try images.map { image in
      try image.withUnsafeBufferPointer { try reference.predict(image: $0) }.bitPattern
    }
    let mismatches = Mutex(0)
    let failures = Mutex([String]())
    // Three models at once on three threads race for the one helper (two cores); every result must
    // still be the single-thread one. Each thread builds and owns its model.
    DispatchQueue.concurrentPerform(iterations: 3) { index in
      do {
        let model = try Self.model("seed", split: 2)
        for call in 0..<150 {
          let i = (call + index) % images.count
          let y = try images[i].withUnsafeBufferPointer { try model.predict(image: $0) }
          if y.bitPattern != expected[i] { mismatches.withLock { $0 += 1 } }
        }
      } catch {
        failures.withLock { $0.append("\(error)") }
      }
    }
    #expect(failures.withLock { $0 }.isEmpty)
    #expect(mismatches.withLock { $0 } == 0)
    // One model alone, many calls: its helper really took chunks (counted per model, so other
    // tests splitting at the same time cannot make this pass).
    let alone = try Self.model("seed", split: 2)
    for call in 0..<200 {
      let i = call % images.count
      let y = try images[i].withUnsafeBufferPointer { try alone.predict(image: $0) }
      #expect(y.bitPattern == expected[i])
    }
    #expect(Self.helperChunks(alone) > 0, "no layer of this model was ever split onto a helper")
  }

  @Test func kernelFailuresInASplitForwardAreThrown() throws {
    let m = try Self.model("seed", split: 2)
    let image = Self.images(m, count: 1, seed: 1)[0]
    let expected = try image.withUnsafeBufferPointer { try m.predict(image: $0) }.bitPattern
    // The calling thread's next allocation in the kernels fails (the hook is thread-local). A
    // helper may take every chunk of a forward (the caller was preempted after posting it), so
    // the failure comes in whichever forward first runs a chunk on the caller; the forwards before
    // it must be right, and the one after it too.
    DirectConv.failAllocationsForTesting(1)
    defer { DirectConv.failAllocationsForTesting(0) }
    var thrown: (any Error)?
    for _ in 0..<100 where thrown == nil {
      do {
        let y = try image.withUnsafeBufferPointer { try m.predict(image: $0) }
        #expect(y.bitPattern == expected)
      } catch {
        thrown = error
      }
    }
    #expect(thrown is ConvNetError, "the failed allocation was not reported: \(String(describing: thrown))")
    #expect(try image.withUnsafeBufferPointer { try m.predict(image: $0) }.bitPattern == expected)
  }
}
