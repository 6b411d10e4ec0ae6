import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

@Suite struct SequentialTests {
  @Test func seedModelHasTheSeedsShapesAndCount() throws {
    let m = try Sequential.seedModel()
    #expect(m.parameterCount == 252_219)
    #expect(m.layerOutputShapes[2] == [35, 62, 24])
    #expect(m.layerOutputShapes[6] == [2, 9, 64])
    #expect(m.layers.map(\.name).prefix(4) == ["cropping2d_1", "rescaling_1", "conv2d_1", "conv2d_2"])
    #expect(try m.parameter(named: "conv2d_1.kernel").shape == [5, 5, 3, 24])
    #expect(try m.parameter(named: "dense_1.kernel").shape == [1152, 100])
    #expect(throws: ConvNetError.self) { try m.parameter(named: "conv2d_9.kernel") }
    let s = m.summary()
    #expect(s.contains("conv2d_1 (Conv2D)"))
    #expect(s.contains("(None, 35, 62, 24)"))
    #expect(s.contains("Total params: 252,219"))
  }

  @Test func pilotNetHasTheSameCount() throws {
    let m = try Sequential.pilotNet()
    #expect(m.parameterCount == 252_219)
    #expect(m.layerOutputShapes[1] == [31, 98, 24])
  }

  @Test func badShapesAreErrors() throws {
    #expect(throws: ConvNetError.self) {
      try Sequential(
        inputShape: [4, 4, 3], layers: [Conv2D(inputChannels: 3, outputChannels: 2, kernelSize: (5, 5))])
    }
    #expect(throws: ConvNetError.self) {
      try Sequential(
        inputShape: [8, 8, 3], layers: [Conv2D(inputChannels: 2, outputChannels: 2, kernelSize: (3, 3))])
    }
    let m = try Sequential(inputShape: [3], layers: [Dense(inputCount: 3, outputCount: 1)])
    #expect(throws: ConvNetError.self) { try m.forward(Tensor.zeros([2, 4]), mode: .inference) }
    #expect(throws: ConvNetError.self) { try m.backward(Tensor.zeros([2, 1])) }
  }

  @Test func seedMakesInitializationReproducible() throws {
    let a = try Sequential.seedModel(seed: 3)
    let b = try Sequential.seedModel(seed: 3)
    let c = try Sequential.seedModel(seed: 4)
    #expect(a.parameters.snapshot() == b.parameters.snapshot())
    #expect(a.parameters.snapshot() != c.parameters.snapshot())
  }

  // The whole seed model's batch-parallel path agrees with one thread, and batch predictions
  // agree with the single-image path.
  @Test func threadsAndSingleImageAgree() throws {
    var g = SplitMix64(seed: 1)
    let images = (0..<(3 * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let batch = SampleBatch(
      images: images, labels: [0, 0, 0], provenance: [], height: 128, width: 128, channels: 3)
    let one = try Sequential.seedModel(seed: 5, threads: 1)
    let two = try Sequential.seedModel(seed: 5, threads: 2)
    let p1 = try one.predict(batch: batch)
    let p2 = try two.predict(batch: batch)
    #expect(closenessRatio(p1, p2, rtol: 1e-4, atol: 1e-6) <= 1)
    let single = try images.withUnsafeBufferPointer {
      try one.predict(image: UnsafeBufferPointer(rebasing: $0[(128 * 128 * 3)..<(2 * 128 * 128 * 3)]))
    }
    #expect(abs(single - p1[1]) <= 1e-5 + 1e-4 * abs(p1[1]))
  }

  /// The fused uint8 -> crop -> rescale input stage gives exactly what the layers give one by one.
  @Test func fusedInputMatchesTheLayers() throws {
    var g = SplitMix64(seed: 2)
    let n = 3
    let images = (0..<(n * 128 * 128 * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let batch = SampleBatch(
      images: images, labels: [0, 0, 0], provenance: [], height: 128, width: 128, channels: 3)
    let m = try Sequential.seedModel(seed: 5, threads: 2)
    let (fused, first) = try images.withUnsafeBufferPointer { try m.loadFusedInput($0, count: n) }
    #expect(first == 2)
    #expect(fused.shape == [n, 73, 128, 3])
    let fusedCopy = fused.scalars
    let x = try Tensor(shape: [n, 128, 128, 3], scalars: images.map(Float.init))
    let layered = try m.layers[1].forward(try m.layers[0].forward(x, mode: .inference), mode: .inference)
    #expect(fusedCopy == layered.scalars)
    #expect(try m.forward(batch: batch, mode: .inference) == (try m.forward(x, mode: .inference)))
    // A model without a leading crop or rescaling converts only.
    let plain = try Sequential(
      inputShape: [4, 4, 1], layers: [Flatten(), Dense(inputCount: 16, outputCount: 1)])
    let bytes = [UInt8](repeating: 7, count: 16)
    let (converted, start) = try bytes.withUnsafeBufferPointer { try plain.loadFusedInput($0, count: 1) }
    #expect(start == 0 && converted.scalars == [Float](repeating: 7, count: 16))
  }
}
