import ConvNet
import DrivingData
import TensorCore
import Testing

@testable import Drive

@Suite struct SequentialPredictorTests {
  func cameraFrame() throws -> RGBImage { try JPEGDecoder().decode(Array(Fixtures.cameraJPEG)) }

  @Test func seedModelSeesTheResizedFrame() throws {
    let model = try Sequential.seedModel(seed: 7, dropout: 0, threads: 1)
    var predictor = try SequentialPredictor(model: model, pipeline: .seed)
    let frame = try cameraFrame()
    let resized = try frame.resizedBilinear(width: 128, height: 128)
    let batch = SampleBatch(images: resized.pixels, steering: [0], provenance: [], height: 128, width: 128, channels: 3)
    let expected = try model.predict(batch: batch)[0]
    #expect(try predictor.steering(for: frame) == expected)
    #expect(expected.isFinite)
  }

  @Test func croppingAndScalingInThePipelineEqualTheModelsOwnLayers() throws {
    // The same network twice: once with Cropping2D + Rescaling layers (uint8 path), once without
    // them and the pipeline doing crop 43,12 + x/127.5-1 (float path). Weights are copied.
    let withLayers = try Sequential.seedModel(seed: 3, dropout: 0, threads: 1)
    let core = try Sequential(
      inputShape: [73, 128, 3],
      layers: [
        Conv2D(inputChannels: 3, outputChannels: 24, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
        Conv2D(inputChannels: 24, outputChannels: 36, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
        Conv2D(inputChannels: 36, outputChannels: 48, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
        Conv2D(inputChannels: 48, outputChannels: 64, kernelSize: (3, 3), activation: .elu),
        Conv2D(inputChannels: 64, outputChannels: 64, kernelSize: (3, 3), activation: .elu),
        Flatten(),
        Dense(inputCount: 1152, outputCount: 100, activation: .elu),
        Dense(inputCount: 100, outputCount: 50, activation: .elu),
        Dense(inputCount: 50, outputCount: 10, activation: .elu),
        Dense(inputCount: 10, outputCount: 1),
      ], seed: 99, threads: 1)
    #expect(core.parameters.count == withLayers.parameters.count)
    try core.parameters.restore(withLayers.parameters.snapshot())
    let frame = try cameraFrame()
    var a = try SequentialPredictor(model: withLayers, pipeline: .seed)
    var b = try SequentialPredictor(
      model: core, pipeline: InputPipeline(resizeWidth: 128, resizeHeight: 128, cropTop: 43, cropBottom: 12, normalization: .symmetric))
    let ya = try a.steering(for: frame)
    let yb = try b.steering(for: frame)
    #expect(abs(ya - yb) <= 1e-5 * max(1, abs(ya)))
  }

  @Test func shapeMismatchIsAnError() throws {
    let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: 1)
    #expect(throws: DriveError.self) { try SequentialPredictor(model: model, pipeline: InputPipeline()) }
    #expect(throws: DriveError.self) {
      try SequentialPredictor(model: model, pipeline: InputPipeline(resizeWidth: 128, resizeHeight: 128, cropTop: 1))
    }
  }
}
