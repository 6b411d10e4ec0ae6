// The layer contract: forward with an explicit mode, backward that returns the input gradient and
// accumulates parameter gradients, named parameters, and output shape from input shape.
// Shapes are per sample (no batch axis): (H, W, C) for images, (features) after Flatten.
import TensorCore

/// Training enables dropout and keeps what backward needs; inference does neither.
public enum Mode: Sendable {
  case training, inference
}

public protocol Layer: AnyObject {
  /// Keras-style name, unique in a model ("conv2d_1"); parameters are "<name>.kernel", "<name>.bias".
  var name: String { get set }
  /// Keras class name for summaries ("Conv2D").
  var typeName: String { get }
  /// Prefix for automatic names ("conv2d").
  var namePrefix: String { get }
  /// Trainable parameters, in a stable order (kernel before bias).
  var parameters: [Parameter] { get }
  /// When false, backward skips the input gradient (a model's first trainable layer needs none).
  var computesInputGradient: Bool { get set }
  /// Worker threads this layer may split a batch across (BLAS itself runs single-threaded then).
  var threads: Int { get set }

  /// Per-sample output shape for a per-sample input shape, or an error naming what does not fit.
  func outputShape(inputShape: [Int]) throws(ConvNetError) -> [Int]
  /// Fills parameters with Keras's default initializers (Glorot uniform kernels, zero biases).
  func initialize(generator: inout SplitMix64)
  /// x: (N, ...) -> y: (N, ...). In training mode the layer keeps what backward needs.
  func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor
  /// dy: like y -> dx: like x (empty when `computesInputGradient` is false); adds to parameter gradients.
  func backward(_ outputGradient: Tensor) throws(ConvNetError) -> Tensor
}

extension Layer {
  public var parameters: [Parameter] { [] }
  public func initialize(generator: inout SplitMix64) {}

  /// Sugar for inference: `layer(x)`.
  public func callAsFunction(_ x: Tensor) throws(ConvNetError) -> Tensor { try forward(x, mode: .inference) }

  /// Checks x is (N, inputShape...) for some N and returns N.
  package func batchCount(_ x: Tensor, expected: [Int]) throws(ConvNetError) -> Int {
    guard x.rank == expected.count + 1, Array(x.shape.dropFirst()) == expected else {
      throw .shapeMismatch(
        "\(name) expects (N, \(expected.map(String.init).joined(separator: ", "))), got \(x.shape)")
    }
    return x.shape[0]
  }
}

/// An empty tensor returned in place of an input gradient nobody needs.
package let noGradient = Tensor.zeros([0])

extension TensorError {
  package var convNet: ConvNetError {
    switch self {
    case .shapeMismatch(let m): .shapeMismatch(m)
    case .invalidArgument(let m): .invalidArgument(m)
    case .outOfMemory(let m): .outOfMemory(m)
    }
  }
}
