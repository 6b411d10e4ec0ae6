// Reads a Sequential Keras model file: root attributes -> model_config JSON (list form of Keras
// 1/2.0, dict form of 2.2+) -> layers -> weights by Keras's stored order -> optional Adam state ->
// input pipeline (ours from `bc_input_pipeline`, else from the options and the model itself).
import Foundation
import H5Store
import TensorCore

package struct KerasModelReader {
  let path: String
  let options: KerasLoadOptions

  func read() throws(ModelFileError) -> LoadedKerasModel {
    let file: H5File
    let root: H5Group
    do {
      file = try H5File(opening: path)
      root = try file.root()
    } catch { throw .unreadable(path: path, detail: "\(error)") }
    defer { try? file.close() }

    guard (try? root.hasAttribute("model_config")) == true else {
      throw .notKerasModel(path: path, detail: "it has no model_config attribute (a weights-only file?)")
    }
    let configText: String
    do { configText = try root.stringAttribute("model_config") } catch {
      throw .notKerasModel(path: path, detail: "model_config is unreadable: \(error)")
    }
    let kerasVersion = try? root.stringAttribute("keras_version")
    let config = try Self.importLayers(modelConfig: configText, options: options, path: path)
    let (model, imported, inputShape, modelNormalization) =
      (config.model, config.layers, config.inputShape, config.normalization)
    var notes = config.notes
    try KerasWeightReader(path: path, root: root).load(imported)

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

  private func storedPipeline(_ root: H5Group) -> InputPipeline? {
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
