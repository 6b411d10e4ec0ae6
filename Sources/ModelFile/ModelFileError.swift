// Errors at the model-file boundary: every message names the file, layer or dataset involved and,
// where the user can fix it, what to pass.
import ConvNet

/// Why a Keras model file could not be read or written.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file is missing, not HDF5, truncated or otherwise unreadable.
  case unreadable(path: String, detail: String)
  /// The file is damaged: its weights fail their checksum, or reading it crashed or hung libhdf5.
  case damaged(path: String, detail: String)
  /// HDF5 is fine but this is not a Keras model file (no `model_config`, bad JSON...).
  case notKerasModel(path: String, detail: String)
  /// A model form this loader does not handle (functional models, channels-first...).
  case unsupportedModel(String)
  /// A layer class this loader does not know.
  case unknownLayer(layer: String, className: String)
  /// A known layer with a setting this loader cannot honour (dilation, an unknown activation...).
  case unsupportedLayerConfig(layer: String, detail: String)
  /// A weight the layer needs is not in the file.
  case missingWeight(layer: String, dataset: String)
  /// A weight dataset of the wrong shape.
  case weightShape(layer: String, dataset: String, expected: [Int], found: [Int])
  /// A Lambda layer whose function is not a recognisable normalization; the message names the option.
  case unrecognisedLambda(layer: String, detail: String)
  /// Arguments that do not fit (a pipeline that disagrees with the model, a bad option string...).
  case invalidArgument(String)
  /// Writing the file failed.
  case writeFailed(path: String, detail: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let detail): "cannot read model file \(path): \(detail)"
    case .damaged(let path, let detail): "\(path) is damaged: \(detail)"
    case .notKerasModel(let path, let detail): "\(path) is not a Keras model file: \(detail)"
    case .unsupportedModel(let message): "unsupported model: \(message)"
    case .unknownLayer(let layer, let className): "layer \(layer): unknown layer class \(className)"
    case .unsupportedLayerConfig(let layer, let detail): "layer \(layer): \(detail)"
    case .missingWeight(let layer, let dataset): "layer \(layer): weight dataset \(dataset) is missing"
    case .weightShape(let layer, let dataset, let expected, let found):
      "layer \(layer): weight \(dataset) has shape \(found), expected \(expected)"
    case .unrecognisedLambda(let layer, let detail):
      "layer \(layer): the Lambda function is not a recognisable normalization (\(detail)); it is never "
        + "executed, so state what it does with --normalize (options.normalization), e.g. x/127.5-1 or x/255-0.5"
    case .invalidArgument(let message): message
    case .writeFailed(let path, let detail): "cannot write model file \(path): \(detail)"
    }
  }
}
