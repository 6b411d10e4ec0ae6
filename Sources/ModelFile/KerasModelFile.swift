// The public face of model files: `KerasModelFile.load(path:options:)` and `.save(...)`.
import ConvNet
import DrivingData
import TensorCore

// Files are Keras's legacy HDF5 layout (what `model.save("model.h5")` writes), readable by
// tf-keras and Keras 3; our extras are root attributes Keras ignores, named `bc_*`.

/// How to read a foreign model whose file does not say everything.
public struct KerasLoadOptions: Sendable {
  /// The normalization a Lambda layer performs, when its code is not recognisable (or to override it).
  /// For a model without any normalization layer it is added as the first layer.
  public var normalization: Normalization?
  /// Pipeline overrides for models without a stored pipeline (Keras-trained models).
  public var cropTop: Int?
  public var cropBottom: Int?
  public var resizeWidth: Int?
  public var resizeHeight: Int?
  public var colorSpace: ColorSpace?
  /// Load the Adam state too (to resume training); off for inference.
  public var loadOptimizer: Bool
  /// Worker threads for the model.
  public var threads: Int

  public init(
    normalization: Normalization? = nil, cropTop: Int? = nil, cropBottom: Int? = nil, resizeWidth: Int? = nil,
    resizeHeight: Int? = nil, colorSpace: ColorSpace? = nil, loadOptimizer: Bool = true,
    threads: Int = availableCores
  ) {
    self.normalization = normalization
    self.cropTop = cropTop
    self.cropBottom = cropBottom
    self.resizeWidth = resizeWidth
    self.resizeHeight = resizeHeight
    self.colorSpace = colorSpace
    self.loadOptimizer = loadOptimizer
    self.threads = threads
  }
}

/// A model read from a file, with everything needed to feed it and to resume training it.
public struct LoadedKerasModel {
  public let model: Sequential
  public let pipeline: InputPipeline
  /// Adam with its iteration count and moments, when the file holds them (and options asked).
  public let optimizer: Adam?
  public let training: TrainingRecord?
  /// `keras_version` of the writer ("2.0.8", "2.21.0", or ours).
  public let kerasVersion: String?
  /// True when the file was written by this project (it carries `bc_format`).
  public let writtenByBehavioralCloning: Bool
  /// What the loader decided on its own (recognised lambdas, ignored optimizer state...).
  public let notes: [String]
}

public enum KerasModelFile {
  /// Name and version of our extra attributes (`bc_format`, `bc_format_version`).
  public static let formatName = "BehavioralCloning.KerasModelFile"
  public static let formatVersion = 1
  /// The Keras version our files claim: the layout and configs are tf-keras 2.x's.
  public static let kerasVersion = "2.21.0"
  /// Root attribute of our files: `WeightsChecksum` of the weights in layer and weight order.
  public static let weightsChecksumAttribute = "bc_weights_checksum"
  /// Root attribute of our files: the checksum of `model_config` and `bc_input_pipeline`.
  public static let configChecksumAttribute = "bc_config_checksum"

  /// Reads a Sequential model written by Keras 1.2, 2.0.x, 2.2.x, tf.keras, Keras 3 (legacy H5) or us.
  /// `isolated` reads the file in a child process (see `IsolatedRead`; the executable must call
  /// `IsolatedRead.serveIfChild()` first), so a file that crashes libhdf5 is only an error.
  public static func load(
    path: String, options: KerasLoadOptions = KerasLoadOptions(), isolated: Bool = false
  ) throws(ModelFileError) -> LoadedKerasModel {
    try KerasModelReader(path: path, options: options, isolated: isolated).read()
  }

  /// Writes `model` (and optionally the optimizer state, input pipeline and training record) to
  /// `path`, atomically: a temporary file is renamed over the destination only when complete.
  public static func save(
    _ model: Sequential, to path: String, pipeline: InputPipeline? = nil, optimizer: (any Optimizer)? = nil,
    training: TrainingRecord? = nil
  ) throws(ModelFileError) {
    try KerasModelWriter(model: model, pipeline: pipeline, optimizer: optimizer, training: training).write(
      to: path)
  }
}
