// Keras layer configs (Keras 1.2 through Keras 3) -> ConvNet layers. Keras 1 spellings are mapped
// to Keras 2 ones first (Convolution2D/nb_filter/nb_row/nb_col/subsample/border_mode, Dense
// output_dim, Dropout p). Shapes are tracked per sample, (H, W, C) or (features).
import ConvNet
import DrivingData
import Foundation
import TensorCore

/// What one config entry becomes: a layer (with the weights it reads, in Keras's stored order),
/// or nothing (InputLayer).
struct ImportedLayer {
  let layer: any Layer
  /// Keras's weight order for this layer, e.g. ["kernel", "bias"] or ["gamma", "beta",
  /// "moving_mean", "moving_variance"]; names are roles, matched to datasets by position.
  let weightRoles: [String]
  /// The Lambda's recognised (or stated) normalization, for the pipeline description.
  let normalization: Normalization?
}

struct KerasLayerImporter {
  /// Used when a Lambda cannot be recognised (or to override it).
  var normalizationOption: Normalization?
  /// Parameters of the layers made so far, against `KerasImportLimits.maxParameters`.
  private var parameterCount = 0

  init(normalizationOption: Normalization?) {
    self.normalizationOption = normalizationOption
  }

  /// Counts a layer's parameters in before it is made (its constructor allocates them): the
  /// product of `factors` plus `extra`, saturating instead of overflowing.
  private mutating func reserve(_ factors: [Int], plus extra: Int = 0, _ c: LayerConfig)
    throws(ModelFileError)
  {
    var count = extra
    var product = 1
    for f in factors {
      let (p, overflow) = product.multipliedReportingOverflow(by: f)
      product = overflow ? Int.max : p
    }
    count = product > Int.max - count ? Int.max : product + count
    parameterCount = count > Int.max - parameterCount ? Int.max : parameterCount + count
    guard parameterCount <= KerasImportLimits.maxParameters else {
      throw .unsupportedLayerConfig(
        layer: c.layer, detail: "the model would have over \(KerasImportLimits.maxParameters) parameters")
    }
  }

  /// `value` must lie in `range`; `what` names it in the error.
  private func check(_ value: Int, in range: ClosedRange<Int>, _ what: String, _ c: LayerConfig)
    throws(ModelFileError)
  {
    guard range.contains(value) else {
      throw .unsupportedLayerConfig(layer: c.layer, detail: "\(what) \(value) is outside \(range)")
    }
  }

  func activation(_ name: String?, _ c: LayerConfig) throws(ModelFileError) -> Activation {
    switch name ?? "linear" {
    case "linear", "": return .linear
    case "relu": return .relu
    case "elu": return .elu
    case let other:
      throw .unsupportedLayerConfig(
        layer: c.layer, detail: "activation \(other) is not supported (linear, relu, elu are)")
    }
  }

  func padding(_ c: LayerConfig) throws(ModelFileError) -> Padding {
    switch try c.string("padding", "border_mode", default: "valid") {
    case "valid": return .valid
    case "same": return .same
    case let other: throw .unsupportedLayerConfig(layer: c.layer, detail: "padding \(other) is not supported")
    }
  }

  func checkChannelsLast(_ c: LayerConfig) throws(ModelFileError) {
    let format =
      (c.values["data_format"] as? String) ?? (c.values["dim_ordering"] as? String) ?? "channels_last"
    guard format == "channels_last" || format == "tf" || format == "default" else {
      throw .unsupportedLayerConfig(
        layer: c.layer,
        detail: "data format \(format) (channels first) is not supported; only channels-last (tf) models load"
      )
    }
  }

  /// Builds the layer for `c` on per-sample input `shape`.
  mutating func makeLayer(_ c: LayerConfig, inputShape shape: [Int]) throws(ModelFileError) -> ImportedLayer?
  {
    let window = 1...KerasImportLimits.maxWindow
    let dimension = 1...KerasImportLimits.maxDimension
    let name = c.layer
    switch c.className {
    case "InputLayer":
      return nil
    case "Cropping2D":
      try checkChannelsLast(c)
      var rows = (0, 0)
      var cols = (0, 0)
      if let list = c.values["cropping"] as? [Any], list.count == 2 {
        if let r = list[0] as? [Any], let k = list[1] as? [Any], r.count == 2, k.count == 2 {
          rows = (LayerConfig.integer(r[0]) ?? -1, LayerConfig.integer(r[1]) ?? -1)
          cols = (LayerConfig.integer(k[0]) ?? -1, LayerConfig.integer(k[1]) ?? -1)
        } else if let a = LayerConfig.integer(list[0]), let b = LayerConfig.integer(list[1]) {
          rows = (a, a)
          cols = (b, b)
        }
      } else if let n = LayerConfig.integer(c.values["cropping"]) {
        rows = (n, n)
        cols = rows
      } else {
        throw .unsupportedLayerConfig(
          layer: name,
          detail: "Cropping2D cropping \(String(describing: c.values["cropping"])) is not understood")
      }
      for crop in [rows.0, rows.1, cols.0, cols.1] {
        try check(crop, in: 0...KerasImportLimits.maxDimension, "crop", c)
      }
      return ImportedLayer(
        layer: Cropping2D(rows: rows, columns: cols, name: name), weightRoles: [], normalization: nil)
    case "Rescaling":
      let scale = try c.double("scale")
      let offset = try c.double("offset", default: 0)
      return ImportedLayer(
        layer: Rescaling(scale: Float(scale), offset: Float(offset), name: name), weightRoles: [],
        normalization: Normalization(scale: scale, offset: offset))
    case "Lambda":
      let n = try lambdaNormalization(c)
      return ImportedLayer(
        layer: Rescaling(scale: Float(n.scale), offset: Float(n.offset), name: name), weightRoles: [],
        normalization: n)
    case "Conv2D", "Convolution2D":
      try checkChannelsLast(c)
      guard shape.count == 3 else {
        throw .unsupportedLayerConfig(layer: name, detail: "Conv2D needs (H, W, C) input, got \(shape)")
      }
      let filters = try c.int("filters", "nb_filter")
      let kernel: (Int, Int)
      if let k = try c.pair("kernel_size") {
        kernel = k
      } else {
        kernel = (try c.int("nb_row"), try c.int("nb_col"))
      }
      var stride = (1, 1)
      if let s = try c.pair("strides") { stride = s } else if let s = try c.pair("subsample") { stride = s }
      if let d = try c.pair("dilation_rate"), d != (1, 1) {
        throw .unsupportedLayerConfig(layer: name, detail: "dilation \(d) is not supported")
      }
      if try c.int("groups", default: 1) != 1 {
        throw .unsupportedLayerConfig(layer: name, detail: "grouped convolution is not supported")
      }
      try check(filters, in: dimension, "filters", c)
      for k in [kernel.0, kernel.1] { try check(k, in: window, "kernel size", c) }
      for s in [stride.0, stride.1] { try check(s, in: window, "stride", c) }
      try reserve([kernel.0, kernel.1, shape[2], filters], plus: filters, c)
      let conv = Conv2D(
        inputChannels: shape[2], outputChannels: filters, kernelSize: kernel, stride: stride,
        padding: try padding(c), activation: try activation(c.values["activation"] as? String, c), name: name)
      let useBias = c.bool("use_bias", default: c.bool("bias", default: true))
      return ImportedLayer(
        layer: conv, weightRoles: useBias ? ["kernel", "bias"] : ["kernel"], normalization: nil)
    case "Dense":
      guard shape.count == 1 else {
        throw .unsupportedLayerConfig(
          layer: name, detail: "Dense on (\(shape)) input: only flat input is supported (add Flatten)")
      }
      let units = try c.int("units", "output_dim")
      try check(units, in: dimension, "units", c)
      try reserve([shape[0], units], plus: units, c)
      let dense = Dense(
        inputCount: shape[0], outputCount: units,
        activation: try activation(c.values["activation"] as? String, c), name: name)
      let useBias = c.bool("use_bias", default: c.bool("bias", default: true))
      return ImportedLayer(
        layer: dense, weightRoles: useBias ? ["kernel", "bias"] : ["kernel"], normalization: nil)
    case "Dropout", "SpatialDropout2D":
      return ImportedLayer(
        layer: Dropout(rate: Float(try c.double("rate", "p", default: 0)), name: name), weightRoles: [],
        normalization: nil)
    case "Flatten":
      try checkChannelsLast(c)
      return ImportedLayer(layer: Flatten(name: name), weightRoles: [], normalization: nil)
    case "Activation":
      let act = try activation(try c.string("activation"), c)
      return ImportedLayer(layer: ActivationLayer(act, name: name), weightRoles: [], normalization: nil)
    case "ELU":
      guard try c.double("alpha", default: 1) == 1 else {
        throw .unsupportedLayerConfig(layer: name, detail: "ELU alpha other than 1")
      }
      return ImportedLayer(layer: ActivationLayer(.elu, name: name), weightRoles: [], normalization: nil)
    case "ReLU":
      guard !c.has("max_value"), try c.double("negative_slope", default: 0) == 0,
        try c.double("threshold", default: 0) == 0
      else {
        throw .unsupportedLayerConfig(
          layer: name, detail: "ReLU with max_value, negative_slope or threshold is not supported")
      }
      return ImportedLayer(layer: ActivationLayer(.relu, name: name), weightRoles: [], normalization: nil)
    case "MaxPooling2D":
      try checkChannelsLast(c)
      let pool = try c.pair("pool_size") ?? (2, 2)
      let stride = try c.pair("strides") ?? pool
      for w in [pool.0, pool.1, stride.0, stride.1] { try check(w, in: window, "pool size or stride", c) }
      return ImportedLayer(
        layer: MaxPooling2D(poolSize: pool, stride: stride, padding: try padding(c), name: name),
        weightRoles: [], normalization: nil)
    case "BatchNormalization":
      let axis = try c.int("axis", default: -1)
      guard axis == -1 || axis == shape.count else {
        throw .unsupportedLayerConfig(
          layer: name, detail: "BatchNormalization over axis \(axis) (only the last axis is supported)")
      }
      guard try c.int("mode", default: 0) == 0 else {
        throw .unsupportedLayerConfig(layer: name, detail: "Keras 1 BatchNormalization mode other than 0")
      }
      try reserve([4, shape.last ?? 0], c)
      let bn = BatchNormalization(
        channels: shape.last ?? 0, epsilon: Float(try c.double("epsilon", default: 1e-3)), name: name)
      var roles: [String] = []
      if c.bool("scale", default: true) { roles.append("gamma") }
      if c.bool("center", default: true) { roles.append("beta") }
      return ImportedLayer(
        layer: bn, weightRoles: roles + ["moving_mean", "moving_variance"], normalization: nil)
    default:
      throw .unknownLayer(layer: name, className: c.className)
    }
  }

  private func lambdaNormalization(_ c: LayerConfig) throws(ModelFileError) -> Normalization {
    if let stated = normalizationOption { return stated }
    let functionType = (c.values["function_type"] as? String) ?? "lambda"
    guard functionType == "lambda" else {
      throw .unrecognisedLambda(
        layer: c.layer, detail: "it refers to a named function '\(String(describing: c.values["function"]))'")
    }
    guard let bytes = LambdaNormalization.codeBytes(fromFunction: c.values["function"]) else {
      throw .unrecognisedLambda(layer: c.layer, detail: "no marshalled code in its config")
    }
    switch LambdaNormalization.recognise(code: bytes) {
    case .success(let n): return n
    case .failure(let e): throw .unrecognisedLambda(layer: c.layer, detail: e.message)
    }
  }
}
