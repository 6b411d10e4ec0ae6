// Reads a Sequential Keras model file: root attributes -> model_config JSON (list form of Keras
// 1/2.0, dict form of 2.2+) -> layers -> weights by Keras's stored order -> optional Adam state ->
// input pipeline (ours from `bc_input_pipeline`, else from the options and the model itself).
import ConvNet
import DrivingData
import Foundation
import HDF5
import TensorCore

package struct KerasModelReader {
  let path: String
  let options: KerasLoadOptions
  /// Read the file in a child process (`IsolatedRead`): for files from elsewhere.
  var isolated = false

  func read() throws(ModelFileError) -> LoadedKerasModel {
    let root: H5SnapshotGroup
    do { root = try IsolatedRead.snapshot(path: path, isolated: isolated) } catch {
      if case H5StoreError.corrupt(_, let detail) = error { throw .damaged(path: path, detail: detail) }
      throw .unreadable(path: path, detail: "\(error)")
    }

    guard root.hasAttribute("model_config") else {
      throw .notKerasModel(path: path, detail: "it has no model_config attribute (a weights-only file?)")
    }
    let configText: String
    do { configText = try root.stringAttribute("model_config") } catch {
      throw .notKerasModel(path: path, detail: "model_config is unreadable: \(error)")
    }
    if let stored = try? root.stringAttribute(KerasModelFile.configChecksumAttribute),
      stored
        != WeightsChecksum.config(
          modelJSON: configText, pipelineJSON: try? root.stringAttribute("bc_input_pipeline"))
    {
      throw .damaged(path: path, detail: "its model_config or input pipeline does not match its checksum")
    }
    let kerasVersion = try? root.stringAttribute("keras_version")
    let config = try Self.importLayers(modelConfig: configText, options: options, path: path)
    let (model, imported, inputShape, modelNormalization) =
      (config.model, config.layers, config.inputShape, config.normalization)
    var notes = config.notes
    let weightsChecksum = try KerasWeightReader(path: path, root: root).load(imported)
    // Our files carry a checksum of their weights: flipped or moved bytes are caught, not predicted with.
    if let stored = try? root.stringAttribute(KerasModelFile.weightsChecksumAttribute),
      stored != WeightsChecksum.hex(weightsChecksum)
    {
      throw .damaged(path: path, detail: "its weights do not match their checksum")
    }

    var optimizer: Adam?
    if options.loadOptimizer {
      optimizer = KerasOptimizerReader(root: root, model: model).adam(notes: &notes)
    }
    var pipeline =
      storedPipeline(root)
      ?? InputPipeline(
        normalization: modelNormalization ?? options.normalization, modelInputShape: inputShape)
    apply(options, to: &pipeline)
    let training = (try? root.stringAttribute("bc_training")).flatMap {
      try? JSONDecoder().decode(TrainingRecord.self, from: Data($0.utf8))
    }
    let ours = (try? root.stringAttribute("bc_format")) == KerasModelFile.formatName
    return LoadedKerasModel(
      model: model, pipeline: pipeline, optimizer: optimizer, training: training, kerasVersion: kerasVersion,
      writtenByBehavioralCloning: ours, notes: notes)
  }

  private func storedPipeline(_ root: H5SnapshotGroup) -> InputPipeline? {
    guard let text = try? root.stringAttribute("bc_input_pipeline") else { return nil }
    return try? JSONDecoder().decode(InputPipeline.self, from: Data(text.utf8))
  }

  private func apply(_ o: KerasLoadOptions, to p: inout InputPipeline) {
    if let v = o.cropTop { p.cropTop = v }
    if let v = o.cropBottom { p.cropBottom = v }
    if let v = o.resizeWidth { p.resizeWidth = v }
    if let v = o.resizeHeight { p.resizeHeight = v }
    if let v = o.colorSpace { p.colorSpace = v }
  }
}
