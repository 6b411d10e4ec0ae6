// Issue #17's contract: the same camera frame through preparation (what training saw) and through
// the pipeline a model file carries (what Drive and Predict feed) gives bit-identical network input,
// for every model preset and colour space.
import ConvNet
import DrivingData
import Foundation
import ModelFile
import TensorCore
import TestSupport
import Testing

@Suite struct PipelineParityTests {
  struct Case: CustomStringConvertible {
    var model: String
    var width: Int
    var height: Int
    var crop = (top: 0, bottom: 0)

    var description: String { "\(model) \(width)x\(height) crop \(crop.top),\(crop.bottom)" }

    func makeModel() throws -> Sequential {
      switch model {
      case "seed": return try Sequential.seedModel(seed: 5, dropout: 0, threads: 1)
      case "pilotnet": return try Sequential.pilotNet(seed: 5, dropout: 0, threads: 1)
      default:
        // A small network on any input size: what a user's own model may be.
        let conv = Conv2D(
          inputChannels: 3, outputChannels: 4, kernelSize: (5, 5), stride: (4, 4), activation: .elu)
        let flat = try conv.outputShape(inputShape: [height, width, 3]).reduce(1, *)
        return try Sequential(
          inputShape: [height, width, 3],
          layers: [
            Rescaling(scale: 1 / 255, offset: -0.5), conv, Flatten(), Dense(inputCount: flat, outputCount: 1),
          ], seed: 5, threads: 1)
      }
    }
  }

  static let cases = [
    Case(model: "seed", width: 128, height: 128),
    Case(model: "pilotnet", width: 200, height: 66),
    // NVIDIA's own order: crop the sky and bonnet from the frame, then resize to 200x66.
    Case(model: "pilotnet", width: 200, height: 66, crop: (60, 25)),
    // An exact halving: OpenCV (and so both paths) takes the area average.
    Case(model: "small", width: 160, height: 80),
  ]

  @Test(arguments: cases, ColorSpace.allCases)
  func preparationAndTheModelFilesPipelineFeedIdenticalBytes(_ c: Case, _ color: ColorSpace) throws {
    let built = try RecordingBuilder(rows: 4, width: 320, height: 160, seed: 3).build()
    defer { RecordingBuilder.remove(built.directory) }
    var options = PreparationOptions()
    (options.width, options.height) = (c.width, c.height)
    (options.cropTop, options.cropBottom) = c.crop
    options.colorSpace = color
    options.plan.cameras = [.center]
    options.plan.flip = false
    options.plan.validationFraction = 0
    let preparation = try DataPreparation(data: [built.directory], options: options)
    let sink = InMemorySampleSink()
    _ = try preparation.run(into: sink, threads: 2, rowsPerBatch: 2) { _ in }
    let stored = try #require(sink.samples("train"))
    #expect(stored.count == 4)

    // The model file as TrainNvidia writes it: the preparation's pipeline, read back.
    let model = try c.makeModel()
    #expect(model.inputShape == [c.height, c.width, 3])
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID()).h5").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let written = options.inputPipeline(normalization: .symmetric)
    try KerasModelFile.save(model, to: path, pipeline: written)
    var (predictor, loaded) = try SequentialPredictor.load(path: path)
    #expect(loaded.pipeline == written)

    let size = c.width * c.height * 3
    var preparer = FramePreparer(pipeline: loaded.pipeline)
    for i in 0..<stored.count {
      let row = preparation.recordings[0].rows[Int(stored.provenance[i].row)]
      // Decoded as Drive decodes a telemetry frame.
      let frame = try JPEGDecoder(sizeLimit: 4 << 20).decode(
        Array(try Data(contentsOf: URL(fileURLWithPath: row.center))))
      let trained = Array(stored.images[i * size..<(i + 1) * size])
      #expect(try preparer.prepare(frame).pixels == trained, "\(c), \(color), sample \(i)")
      let expected = try trained.withUnsafeBufferPointer { try model.predict(image: $0) }
      #expect(try predictor.steering(for: frame) == expected)
    }
  }

  /// `TrainNvidia --color yuv --crop 60,25` writes exactly that pipeline into model.h5, with the
  /// normalization of the model's first layer, so Drive and Predict need no flags to feed it.
  @Test func trainNvidiaWritesThePipelineItTrainedWith() throws {
    let built = try RecordingBuilder(rows: 10, width: 320, height: 160, seed: 4).build()
    defer { RecordingBuilder.remove(built.directory) }
    let output = built.directory + "/model.h5"
    let result = try BuiltExecutable.run(
      "TrainNvidiaCommand",
      [
        "--data", built.directory, "--store", built.directory + "/samples.h5", "--output", output,
        "--model", "pilotnet", "--color", "yuv", "--crop", "60,25", "--epochs", "1", "--threads", "1",
        "--no-isolation",
      ])
    try #require(result.status == 0, "TrainNvidia failed: \(result.stderr)")

    let (_, loaded) = try SequentialPredictor.load(path: output)
    let p = loaded.pipeline
    #expect(p.colorSpace == .yuv)
    #expect((p.cropTop, p.cropBottom) == (60, 25))
    #expect((p.resizeWidth, p.resizeHeight) == (200, 66))
    #expect((p.sourceWidth, p.sourceHeight) == (320, 160))
    #expect(p.modelInputShape == [66, 200, 3])
    #expect(p.normalization?.isClose(to: .symmetric) == true)
  }
}
