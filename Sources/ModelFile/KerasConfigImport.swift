// model_config JSON -> layers and a Sequential model, before any weights are read. Split from the
// file reader so a config can be checked on its own (the KerasConfig fuzz target feeds it).
import ConvNet
import DrivingData
import Foundation
import TensorCore

/// What a model_config describes: the model, its layers with their weight roles, the per-sample
/// input shape, the normalization found, and notes for the user.
package struct ImportedKerasConfig {
  package let model: Sequential
  let layers: [ImportedLayer]
  package let inputShape: [Int]
  package let normalization: Normalization?
  package let notes: [String]
}

extension KerasModelReader {
  /// Builds the model `modelConfig` describes; `path` only labels errors. Sizes are bounded by
  /// `KerasImportLimits`, so a hostile config fails here instead of allocating gigabytes.
  package static func importLayers(modelConfig text: String, options: KerasLoadOptions, path: String)
    throws(ModelFileError) -> ImportedKerasConfig
  {
    let json = try KerasJSON.parse(text, what: path)
    let layerConfigs = try sequentialLayers(json, path: path)
    // A model built with model.build(shape) and no InputLayer keeps its shape at the top level.
    let topConfig = ((json as? [String: Any])?["config"] as? [String: Any]) ?? [:]
    let buildShape = try LayerConfig(layer: "sequential", className: "Sequential", values: topConfig)
      .shape("build_input_shape")
    var notes: [String] = []

    // Layers, tracking the per-sample shape.
    var inputShape: [Int]?
    var imported: [ImportedLayer] = []
    var importer = KerasLayerImporter(normalizationOption: options.normalization)
    var shape: [Int] = []
    for c in layerConfigs {
      if inputShape == nil {
        guard let declared = try c.shape("batch_input_shape", "batch_shape") ?? buildShape,
          declared.count >= 2
        else {
          throw .unsupportedModel("the first layer (\(c.layer)) declares no input shape")
        }
        guard declared.dropFirst().allSatisfy({ $0 != nil }) else {
          throw .unsupportedModel(
            "input shape \(declared) has unknown dimensions; the model must declare its input size")
        }
        inputShape = declared.dropFirst().map { $0! }
        shape = inputShape!
        try KerasImportLimits.check(inputShape: shape)
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
    return ImportedKerasConfig(
      model: model, layers: imported, inputShape: inputShape, normalization: modelNormalization, notes: notes)
  }

  /// The layer list of a Sequential model_config in either form.
  private static func sequentialLayers(_ json: Any, path: String) throws(ModelFileError) -> [LayerConfig] {
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

/// Bounds on what a model_config may ask for. Real steering models are far below them (NVIDIA's
/// has 250 k parameters on 66 x 200 x 3 input); the limits only stop hostile or corrupt files.
enum KerasImportLimits {
  /// Parameters in the whole model (256 MB of floats, twice that with gradients).
  static let maxParameters = 64 << 20
  /// Elements of one input sample (the JPEG decoder's bound in bytes).
  static let maxInputElements = 1 << 28
  /// Any one dimension, filter count, unit count or crop.
  static let maxDimension = 1 << 16
  /// Kernel, pool and stride sizes.
  static let maxWindow = 1024

  static func check(inputShape shape: [Int]) throws(ModelFileError) {
    var elements = 1
    for d in shape {
      guard (1...maxDimension).contains(d) else {
        throw .unsupportedModel("input dimension \(d) in \(shape) is outside 1...\(maxDimension)")
      }
      elements *= d
      guard elements <= maxInputElements else {
        throw .unsupportedModel("input shape \(shape) is larger than \(maxInputElements) elements")
      }
    }
  }
}
