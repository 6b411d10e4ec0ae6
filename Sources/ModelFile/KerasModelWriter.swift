// Writes the Keras legacy HDF5 layout (as tf-keras 2.21's `model.save("model.h5")`):
//   /@keras_version, @backend, @model_config (Sequential JSON), @training_config
//   /model_weights@layer_names; /model_weights/<layer>@weight_names; .../<layer>/<layer>/kernel:0, bias:0
//   /optimizer_weights@weight_names; iteration:0 (int64 scalar); Adam/m/<layer>/kernel:0, Adam/v/...
//   /@bc_format, @bc_format_version, @bc_input_pipeline (JSON), @bc_training (JSON)  <- ignored by Keras
import ConvNet
import DrivingData
import Foundation
import HDF5
import TensorCore

struct KerasModelWriter {
  let model: Sequential
  let pipeline: InputPipeline?
  let optimizer: (any Optimizer)?
  let training: TrainingRecord?

  func modelConfig(_ layers: [ExportedLayer]) -> [String: Any] {
    let first = model.layers.first?.name ?? "input"
    let input: [String: Any] = [
      "class_name": "InputLayer",
      "config": [
        "batch_input_shape": [NSNull()] + model.inputShape.map { $0 as Any }, "dtype": "float32",
        "sparse": false,
        "ragged": false, "name": "\(first)_input",
      ] as [String: Any],
    ]
    let entries = layers.map { ["class_name": $0.className, "config": $0.config] as [String: Any] }
    return [
      "class_name": "Sequential",
      "config": ["name": "sequential", "layers": [input] + entries] as [String: Any],
    ]
  }

  func trainingConfig() -> [String: Any] {
    // "Custom>Adam" is how tf-keras 2.11+ names its (non-legacy) Adam; plain "Adam" would make tf-keras
    // build its legacy Adam, whose slot order differs, and drop the saved state. Keras 3 reads both.
    var optimizerConfig: [String: Any] = [
      "class_name": "Custom>Adam",
      "config": [
        "name": "Adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
        "amsgrad": false,
      ] as [String: Any],
    ]
    if let adam = optimizer as? Adam {
      optimizerConfig["config"] =
        [  // no jit_compile/is_legacy_optimizer: Keras 3 rejects them
          "name": "Adam", "learning_rate": Double(adam.learningRate), "beta_1": Double(adam.beta1),
          "beta_2": Double(adam.beta2), "epsilon": Double(adam.epsilon), "amsgrad": false,
        ] as [String: Any]
    } else if let sgd = optimizer as? SGD {
      optimizerConfig = [
        "class_name": "SGD",
        "config": [
          "name": "SGD", "learning_rate": Double(sgd.learningRate), "momentum": Double(sgd.momentum),
          "nesterov": false,
        ] as [String: Any],
      ]
    }
    return [
      "loss": "mean_squared_error", "metrics": NSNull(), "weighted_metrics": NSNull(),
      "loss_weights": NSNull(),
      "optimizer_config": optimizerConfig,
    ]
  }

  func write(to path: String) throws(ModelFileError) {
    var exported: [ExportedLayer] = []
    for (i, layer) in model.layers.enumerated() {
      exported.append(try KerasLayerExport.export(layer, batchInputShape: i == 0 ? model.inputShape : nil))
    }
    let modelJSON = try KerasJSON.string(modelConfig(exported))
    let trainingJSON = try KerasJSON.string(trainingConfig())
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let pipelineJSON = pipeline.flatMap { try? encoder.encode($0) }.map {
      String(decoding: $0, as: UTF8.self)
    }
    let trainingRecordJSON = training.flatMap { try? encoder.encode($0) }.map {
      String(decoding: $0, as: UTF8.self)
    }
    if let pipeline, pipeline.modelInputShape != model.inputShape {
      throw .invalidArgument(
        "the pipeline ends in \(pipeline.modelInputShape) but the model takes \(model.inputShape)")
    }

    StalePartials.removeAbandoned(besides: path)
    let temporary = StalePartials.temporaryPath(for: path)
    do {
      let file = try H5File(creating: temporary)
      let root = try file.root()
      try root.setAttribute("keras_version", string: KerasModelFile.kerasVersion)
      try root.setAttribute("backend", string: "tensorflow")
      try root.setAttribute("model_config", string: modelJSON)
      try root.setAttribute("training_config", string: trainingJSON)
      try root.setAttribute("bc_format", string: KerasModelFile.formatName)
      try root.setAttribute("bc_format_version", Int64(KerasModelFile.formatVersion))
      if let pipelineJSON { try root.setAttribute("bc_input_pipeline", string: pipelineJSON) }
      if let trainingRecordJSON { try root.setAttribute("bc_training", string: trainingRecordJSON) }
      try root.setAttribute(
        KerasModelFile.configChecksumAttribute,
        string: WeightsChecksum.config(modelJSON: modelJSON, pipelineJSON: pipelineJSON))

      let weights = try root.createGroup("model_weights")
      try weights.setAttribute("keras_version", string: KerasModelFile.kerasVersion)
      try weights.setAttribute("backend", string: "tensorflow")
      try weights.setAttribute("layer_names", strings: model.layers.map(\.name))
      var checksum = StreamChecksum()
      for (layer, e) in zip(model.layers, exported) {
        let group = try weights.createGroup(layer.name)
        try group.setAttribute("weight_names", strings: e.weights.map { "\(layer.name)/\($0.name)" })
        for w in e.weights {
          try group.createDataset("\(layer.name)/\(w.name)", values: w.values, shape: w.shape)
          checksum.update(w.values)
        }
      }
      try root.setAttribute(
        KerasModelFile.weightsChecksumAttribute, string: WeightsChecksum.hex(checksum.value))
      if let adam = optimizer as? Adam { try writeAdam(adam, root) }
      try file.close()
      guard rename(temporary, path) == 0 else {
        throw ModelFileError.writeFailed(
          path: path, detail: "rename failed: \(String(cString: strerror(errno)))")
      }
    } catch let error as ModelFileError {
      unlink(temporary)
      throw error
    } catch {
      unlink(temporary)
      throw .writeFailed(path: path, detail: "\(error)")
    }
  }

  /// tf-keras 2.21's order: iteration, then m and v of each trainable variable in turn.
  private func writeAdam(_ adam: Adam, _ root: H5Group) throws {
    let group = try root.createGroup("optimizer_weights")
    var names = ["iteration:0"]
    try group.createDataset("iteration:0", of: Int64.self, shape: []).write([Int64(adam.iterations)])
    for layer in model.layers {
      for p in layer.parameters {
        for slot in ["m", "v"] {
          let name = "Adam/\(slot)/\(layer.name)/\(p.name):0"
          let value = try adam.slot(slot, for: p)
          try group.createDataset(name, values: value.scalars, shape: p.shape)
          names.append(name)
        }
      }
    }
    try group.setAttribute("weight_names", strings: names)
  }
}
