// ConvNet layers -> Keras layer configs (tf-keras 2.x spelling, which Keras 3 also reads) and
// the weights Keras expects, in its order, with its names.
import ConvNet
import DrivingData
import Foundation
import TensorCore

struct ExportedWeight {
  /// Keras's weight name inside the layer ("kernel:0").
  let name: String
  let shape: [Int]
  let values: [Float]
}

struct ExportedLayer {
  let className: String
  let config: [String: Any]
  let weights: [ExportedWeight]
}

enum KerasLayerExport {
  static func initializer(_ className: String) -> [String: Any] {
    let config: [String: Any] = className == "GlorotUniform" ? ["seed": NSNull()] : [:]
    return [
      "module": "keras.initializers", "class_name": className, "config": config, "registered_name": NSNull(),
    ]
  }

  static func values(_ p: Parameter) -> [Float] {
    Array(UnsafeBufferPointer(start: p.values, count: p.count))
  }

  static func weight(_ p: Parameter, _ name: String? = nil) -> ExportedWeight {
    ExportedWeight(name: "\(name ?? p.name):0", shape: p.shape, values: values(p))
  }

  /// The config of `layer`; `inputShape` is set on the first layer (Keras's batch_input_shape).
  static func export(_ layer: any Layer, batchInputShape: [Int]?) throws(ModelFileError) -> ExportedLayer {
    var config: [String: Any] = ["name": layer.name, "trainable": true, "dtype": "float32"]
    if let batchInputShape { config["batch_input_shape"] = [NSNull()] + batchInputShape.map { $0 as Any } }
    let channelsLast = "channels_last"
    switch layer {
    case let l as Cropping2D:
      config["cropping"] = [[l.rows.top, l.rows.bottom], [l.columns.left, l.columns.right]]
      config["data_format"] = channelsLast
      return ExportedLayer(className: "Cropping2D", config: config, weights: [])
    case let l as Rescaling:
      // Float32 -> Double keeps the exact value the layer computes with.
      config["scale"] = Double(l.scale)
      config["offset"] = Double(l.offset)
      return ExportedLayer(className: "Rescaling", config: config, weights: [])
    case let l as Conv2D:
      config["filters"] = l.outputChannels
      config["kernel_size"] = [l.kernelSize.height, l.kernelSize.width]
      config["strides"] = [l.stride.y, l.stride.x]
      config["padding"] = l.padding == .same ? "same" : "valid"
      config["data_format"] = channelsLast
      config["dilation_rate"] = [1, 1]
      config["groups"] = 1
      config["activation"] = l.activation.rawValue
      config["use_bias"] = true
      addDenseLike(&config)
      return ExportedLayer(className: "Conv2D", config: config, weights: [weight(l.kernel), weight(l.bias)])
    case let l as Dense:
      config["units"] = l.outputCount
      config["activation"] = l.activation.rawValue
      config["use_bias"] = true
      addDenseLike(&config)
      return ExportedLayer(className: "Dense", config: config, weights: [weight(l.kernel), weight(l.bias)])
    case let l as Dropout:
      config["rate"] = Double(l.rate)
      config["noise_shape"] = NSNull()
      config["seed"] = NSNull()
      return ExportedLayer(className: "Dropout", config: config, weights: [])
    case is Flatten:
      config["data_format"] = channelsLast
      return ExportedLayer(className: "Flatten", config: config, weights: [])
    case let l as ActivationLayer:
      config["activation"] = l.activation.rawValue
      return ExportedLayer(className: "Activation", config: config, weights: [])
    case let l as MaxPooling2D:
      config["pool_size"] = [l.poolSize.height, l.poolSize.width]
      config["strides"] = [l.stride.y, l.stride.x]
      config["padding"] = l.padding == .same ? "same" : "valid"
      config["data_format"] = channelsLast
      return ExportedLayer(className: "MaxPooling2D", config: config, weights: [])
    case let l as BatchNormalization:
      config["axis"] = -1
      config["momentum"] = 0.99
      config["epsilon"] = Double(l.epsilon)
      config["center"] = true
      config["scale"] = true
      config["beta_initializer"] = initializer("Zeros")
      config["gamma_initializer"] = initializer("Ones")
      config["moving_mean_initializer"] = initializer("Zeros")
      config["moving_variance_initializer"] = initializer("Ones")
      for key in ["beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"] {
        config[key] = NSNull()
      }
      let c = l.channels
      return ExportedLayer(
        className: "BatchNormalization", config: config,
        weights: [
          weight(l.gamma), weight(l.beta),
          ExportedWeight(name: "moving_mean:0", shape: [c], values: l.movingMean),
          ExportedWeight(name: "moving_variance:0", shape: [c], values: l.movingVariance),
        ])
    default:
      throw .invalidArgument("layer \(layer.name) (\(layer.typeName)) has no Keras equivalent to save as")
    }
  }

  private static func addDenseLike(_ config: inout [String: Any]) {
    config["kernel_initializer"] = initializer("GlorotUniform")
    config["bias_initializer"] = initializer("Zeros")
    for key in [
      "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
      "bias_constraint",
    ] {
      config[key] = NSNull()
    }
  }
}
