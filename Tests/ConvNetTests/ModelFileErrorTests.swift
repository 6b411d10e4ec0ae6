// Bad files get clear errors naming the layer or dataset, never a crash: missing, not HDF5,
// truncated, no model_config, bad JSON, functional models, unknown layers, missing weights,
// wrong shapes, unsupported settings.
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile

@Suite struct ModelFileErrorTests {
  /// A copy of a fixture whose model_config (and optionally more) is edited.
  func edited(
    _ fixture: String, in dir: String, config: (String) -> String = { $0 },
    more: (H5Group) throws -> Void = { _ in }
  ) throws -> String {
    let path = "\(dir)/\(UUID().uuidString).h5"
    try FileManager.default.copyItem(atPath: KerasFixtures.path(fixture), toPath: path)
    let file = try H5File(opening: path, mode: .readWrite)
    let root = try file.root()
    try root.setAttribute("model_config", string: config(try root.stringAttribute("model_config")))
    try more(root)
    try file.close()
    return path
  }

  func loadError(_ path: String, _ options: KerasLoadOptions = KerasLoadOptions()) -> ModelFileError? {
    #expect(throws: ModelFileError.self) { _ = try KerasModelFile.load(path: path, options: options) }
  }

  @Test func unreadableFiles() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard case .unreadable = loadError("\(dir)/nothing.h5") else {
      Issue.record("missing file")
      return
    }
    try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: "\(dir)/text.h5"))
    guard case .unreadable = loadError("\(dir)/text.h5") else {
      Issue.record("text file")
      return
    }
    // Truncated at several points: an error every time (which one depends on where the cut falls).
    let whole = try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("tfkeras_2_21.h5")))
    for fraction in [0.1, 0.5, 0.9, 0.99] {
      let cut = "\(dir)/cut\(fraction).h5"
      try whole.prefix(Int(Double(whole.count) * fraction)).write(to: URL(fileURLWithPath: cut))
      let error = loadError(cut)
      #expect(error != nil, "truncated at \(fraction)")
    }
  }

  @Test func notAKerasModel() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let plain = "\(dir)/plain.h5"
    let file = try H5File(creating: plain)
    try file.root().createGroup("model_weights")
    try file.close()
    guard case .notKerasModel = loadError(plain) else {
      Issue.record("no model_config")
      return
    }
    guard case .notKerasModel = loadError(try edited("keras_2_2_4.h5", in: dir) { _ in "{not json" }) else {
      Issue.record("bad JSON")
      return
    }
    let functional = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"Sequential\"", with: "\"Functional\"")
    }
    guard case .unsupportedModel(let message) = loadError(functional) else {
      Issue.record("functional")
      return
    }
    #expect(message.contains("Functional"))
  }

  @Test func unknownLayerIsNamed() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"MaxPooling2D\"", with: "\"GaussianNoise\"")
    }
    #expect(loadError(path) == .unknownLayer(layer: "max_pooling2d_1", className: "GaussianNoise"))
  }

  @Test func missingAndMisshapenWeightsAreNamed() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let missing = try edited("keras_2_2_4.h5", in: dir) {
      $0
    } more: { root in
      try root.group("model_weights").group("dense_1")
        .setAttribute("weight_names", strings: ["dense_1/kernel:0", "dense_1/gone:0"])
    }
    #expect(
      loadError(missing) == .missingWeight(layer: "dense_1", dataset: "/model_weights/dense_1/dense_1/gone:0")
    )
    let wrongShape = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"units\": 1", with: "\"units\": 2")
    }
    #expect(
      loadError(wrongShape)
        == .weightShape(
          layer: "dense_1", dataset: "/model_weights/dense_1/dense_1/kernel:0", expected: [245, 2],
          found: [245, 1]))
    let noGroup = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"dense_1\"", with: "\"dense_9\"")
    }
    guard case .missingWeight(let layer, _) = loadError(noGroup) else {
      Issue.record("missing group")
      return
    }
    #expect(layer == "dense_9")
  }

  @Test func unsupportedSettingsAreNamed() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let tanh = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"activation\": \"relu\"", with: "\"activation\": \"tanh\"")
    }
    guard case .unsupportedLayerConfig(let layer, let detail) = loadError(tanh) else {
      Issue.record("tanh")
      return
    }
    #expect(layer == "conv2d_1" && detail.contains("tanh"))
    let channelsFirst = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "channels_last", with: "channels_first")
    }
    guard case .unsupportedLayerConfig = loadError(channelsFirst) else {
      Issue.record("channels first")
      return
    }
    let noInput = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"batch_input_shape\"", with: "\"unused\"")
    }
    guard case .unsupportedModel = loadError(noInput) else {
      Issue.record("no input shape")
      return
    }
  }

  @Test func buildInputShapeStandsInForAMissingInputShape() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try edited("keras_2_2_4.h5", in: dir) {
      $0.replacingOccurrences(of: "\"batch_input_shape\"", with: "\"unused\"")
        .replacingOccurrences(
          of: "\"name\": \"sequential_1\",",
          with: "\"name\": \"sequential_1\", \"build_input_shape\": [null, 32, 32, 3],")
    }
    let loaded = try KerasModelFile.load(path: path)
    #expect(loaded.model.inputShape == [32, 32, 3])
  }
}
