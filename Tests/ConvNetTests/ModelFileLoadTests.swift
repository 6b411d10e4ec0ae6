// Loading real and hand-built Keras files (Scripts/fixtures/keras_models.py) and comparing our
// predictions with the ones Python computed (Keras's predict, or an independent numpy forward).
import DrivingData
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

@Suite struct ModelFileLoadTests {
  func check(_ name: String, options: KerasLoadOptions = KerasLoadOptions(loadOptimizer: false)) throws
    -> LoadedKerasModel
  {
    let loaded = try KerasModelFile.load(path: KerasFixtures.path("\(name).h5"), options: options)
    let expected = try KerasFixtures.expected(name)
    #expect(Array(expected.shape.dropFirst()) == loaded.model.inputShape)
    let ours = try KerasFixtures.predict(loaded.model, expected.inputs, count: expected.shape[0])
    let diff = KerasFixtures.maxDifference(ours, expected.outputs)
    #expect(diff < 1e-4, "\(name): max |ours - python| = \(diff)")
    return loaded
  }

  @Test func tfKeras221FileMatchesKerasPredict() throws {
    let loaded = try check("tfkeras_2_21", options: KerasLoadOptions())
    #expect(loaded.kerasVersion == "2.21.0")
    #expect(!loaded.writtenByBehavioralCloning)
    #expect(
      loaded.model.layers.map(\.typeName) == [
        "Cropping2D", "Rescaling", "Conv2D", "MaxPooling2D", "BatchNormalization", "Conv2D", "Dropout",
        "Flatten",
        "Dense", "Dense",
      ])
    // It was fit for 2 steps: the Adam state comes back with it.
    let adam = try #require(loaded.optimizer)
    #expect(adam.iterations == 2)
    let m = try adam.slot("m", for: loaded.model.parameter(named: "conv2d.kernel"))
    #expect(m.scalars.contains { $0 != 0 })
    #expect(loaded.pipeline.normalization.map { $0.isClose(to: .symmetric) } == true)
  }

  @Test func keras3LegacyFileMatchesKerasPredict() throws {
    let loaded = try check("keras3")
    #expect(loaded.kerasVersion?.hasPrefix("3.") == true)
    #expect(loaded.model.layers.map(\.typeName).contains("Activation"))
    #expect(loaded.pipeline.normalization.map { $0.isClose(to: .centred) } == true)
  }

  @Test func keras12LayoutWithMarshalledLambda() throws {
    let loaded = try check("keras_1_2")
    #expect(loaded.kerasVersion == "1.2.1")
    let rescaling = try #require(loaded.model.layer(named: "lambda_1") as? Rescaling)
    #expect(abs(rescaling.scale - 1 / 127.5) < 1e-9 && rescaling.offset == -1)
    #expect(loaded.notes.contains { $0.contains("lambda_1") && $0.contains("recognised") })
  }

  @Test func keras208LayoutWithRawUnicodeEscapeLambda() throws {
    let loaded = try check("keras_2_0_8")
    #expect(loaded.pipeline.normalization.map { $0.isClose(to: .centred) } == true)
  }

  @Test func keras224LayoutWithBase64LambdaAndBatchNorm() throws {
    let loaded = try check("keras_2_2_4")
    #expect(loaded.model.layers.contains { $0 is BatchNormalization })
  }

  @Test func keras224PositionalAdamStateIsRestored() throws {
    let loaded = try KerasModelFile.load(path: KerasFixtures.path("keras_2_2_4.h5"))
    let adam = try #require(loaded.optimizer)
    #expect(adam.iterations == 37)
    #expect(adam.epsilon == 1e-8 && adam.learningRate == 1e-3)
    // Slot order is [iterations, m x 6, v x 6, vhat x 6]: conv2d_1's kernel m is Variable:0 and
    // dense_1's bias v is Variable_11:0.
    let file = try H5File(opening: KerasFixtures.path("keras_2_2_4.h5"))
    defer { try? file.close() }
    let group = try file.root().group("optimizer_weights")
    let m = try group.dataset("training/Adam/Variable:0").read(as: Float.self)
    let v = try group.dataset("training/Adam/Variable_11:0").read(as: Float.self)
    #expect(try adam.slot("m", for: loaded.model.parameter(named: "conv2d_1.kernel")).scalars == m)
    #expect(try adam.slot("v", for: loaded.model.parameter(named: "dense_1.bias")).scalars == v)
  }

  @Test func unrecognisableLambdaIsRefusedNamingTheOption() throws {
    let error = #expect(throws: ModelFileError.self) {
      _ = try KerasModelFile.load(path: KerasFixtures.path("keras_2_2_4_unknown_lambda.h5"))
    }
    guard case .unrecognisedLambda(let layer, _) = error else {
      Issue.record("wrong error \(String(describing: error))")
      return
    }
    #expect(layer == "lambda_1")
    #expect(error?.description.contains("--normalize") == true)
    // Stated, it loads and matches the numpy forward computed with x/127.5-1.
    let loaded = try check(
      "keras_2_2_4_unknown_lambda", options: KerasLoadOptions(normalization: .symmetric, loadOptimizer: false)
    )
    #expect(loaded.notes.contains { $0.contains("stated") })
  }
}
