// Reads a Sequential Keras model file: root attributes -> model_config JSON (list form of Keras
// 1/2.0, dict form of 2.2+) -> layers -> weights by Keras's stored order -> optional Adam state ->
// input pipeline (ours from `bc_input_pipeline`, else from the options and the model itself).
import Foundation
import H5Store
import TensorCore

struct KerasModelReader {
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
    let json = try KerasJSON.parse(configText, what: path)
    let layerConfigs = try sequentialLayers(json)
    // A model built with model.build(shape) and no InputLayer keeps its shape at the top level.
    let topConfig = ((json as? [String: Any])?["config"] as? [String: Any]) ?? [:]
    let buildShape = LayerConfig(layer: "sequential", className: "Sequential", values: topConfig)
      .shape("build_input_shape")
    var notes: [String] = []

    // Layers, tracking the per-sample shape.
    var inputShape: [Int]?
    var imported: [ImportedLayer] = []
    var importer = KerasLayerImporter(normalizationOption: options.normalization)
    var shape: [Int] = []
    for c in layerConfigs {
      if inputShape == nil {
        guard let declared = c.shape("batch_input_shape", "batch_shape") ?? buildShape, declared.count >= 2
        else {
          throw .unsupportedModel("the first layer (\(c.layer)) declares no input shape")
        }
        guard declared.dropFirst().allSatisfy({ $0 != nil }) else {
          throw .unsupportedModel(
            "input shape \(declared) has unknown dimensions; the model must declare its input size")
        }
        inputShape = declared.dropFirst().map { $0! }
        shape = inputShape!
      }
      guard let item = try importer.makeLayer(c, inputShape: shape) else { continue }
      do { shape = try item.layer.outputShape(inputShape: shape) } catch {
        throw .unsupportedLayerConfig(layer: c.layer, detail: "\(error)")
      }
      if c.className == "Lambda" {
        let n = item.normalization!
        notes.append(
          options.normalization != nil
            ? "\(c.layer): Lambda taken as \(n) (stated by option)"
            : "\(c.layer): Lambda recognised as \(n) (not executed)")
        importer.normalizationOption = options.normalization
      }
      imported.append(item)
    }
    guard let inputShape, !imported.isEmpty else { throw .unsupportedModel("the model has no layers") }

    // A stated normalization for a model without a normalization layer becomes its first layer.
    var layers = imported.map(\.layer)
    let modelNormalization = imported.compactMap(\.normalization).first
    if let stated = options.normalization, modelNormalization == nil {
      layers.insert(
        Rescaling(scale: Float(stated.scale), offset: Float(stated.offset), name: "stated_normalization"),
        at: 0)
      notes.append(
        "added \(stated) as the first layer (stated by option; the file has no normalization layer)")
    }

    let model: Sequential
    do { model = try Sequential(inputShape: inputShape, layers: layers, threads: options.threads) } catch {
      throw .unsupportedModel("\(error)")
    }
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

  /// The layer list of a Sequential model_config in either form.
  private func sequentialLayers(_ json: Any) throws(ModelFileError) -> [LayerConfig] {
    guard let top = json as? [String: Any], let className = top["class_name"] as? String else {
      throw .notKerasModel(path: path, detail: "model_config has no class_name")
    }
    guard className == "Sequential" else {
      throw .unsupportedModel("\(className) models are not supported; only Sequential models load")
    }
    let list: [Any]
    if let l = top["config"] as? [Any] {
      list = l  // Keras 1.x, 2.0.x, 2.1.x
    } else if let d = top["config"] as? [String: Any], let l = d["layers"] as? [Any] {
      list = l  // Keras 2.2+, tf.keras, Keras 3
    } else {
      throw .notKerasModel(
        path: path, detail: "Sequential config has neither a layer list nor a layers entry")
    }
    var out: [LayerConfig] = []
    for (i, entry) in list.enumerated() {
      guard let d = entry as? [String: Any], let cls = d["class_name"] as? String,
        let cfg = d["config"] as? [String: Any]
      else {
        throw .notKerasModel(path: path, detail: "layer entry \(i) has no class_name/config")
      }
      out.append(LayerConfig(layer: (cfg["name"] as? String) ?? "layer \(i)", className: cls, values: cfg))
    }
    return out
  }
}
