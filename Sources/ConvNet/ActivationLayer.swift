// A standalone activation (ELU, ReLU, linear); layers can also fuse one via their `activation`.
// x: any -> y: same shape
import TensorCore

public final class ActivationLayer: Layer {
  public var name: String
  public var typeName: String { "Activation" }
  public var namePrefix: String { "activation" }
  public let activation: Activation
  public var computesInputGradient = true
  public var threads = 1

  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])

  public init(_ activation: Activation, name: String = "") {
    self.name = name
    self.activation = activation
  }

  public func outputShape(inputShape: [Int]) throws(ConvNetError) -> [Int] { inputShape }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    output.prepare(shape: x.shape)
    let y = output.mutableBase
    y.update(from: x.base, count: x.count)
    activation.apply(y, count: x.count)
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard dy.shape == output.shape else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(shape: dy.shape)
    let dx = inputGradient.mutableBase
    dx.update(from: dy.base, count: dy.count)
    activation.backward(output: output.base, gradient: dx, count: dy.count)
    return inputGradient
  }
}
