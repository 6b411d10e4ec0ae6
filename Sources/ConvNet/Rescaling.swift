// Rescaling(scale:offset:): y = x * scale + offset (the seed's Lambda x / 127.5 - 1). Any shape.
import TensorCore

public final class Rescaling: Layer {
  public var name: String
  public var typeName: String { "Rescaling" }
  public var namePrefix: String { "rescaling" }
  public let scale: Float
  public let offset: Float
  public var computesInputGradient = true
  public var threads = 1

  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])

  public init(scale: Float, offset: Float = 0, name: String = "") {
    self.name = name
    self.scale = scale
    self.offset = offset
  }

  public func outputShape(inputShape: [Int]) throws(ConvNetError) -> [Int] { inputShape }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    output.prepare(shape: x.shape)
    let y = output.mutableBase
    let p = x.base
    let (s, o) = (scale, offset)
    parallelSlices(count: x.count, workers: x.count >= 65_536 ? threads : 1) { _, r in
      for i in r { y[i] = p[i] * s + o }
    }
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard dy.shape == output.shape else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(shape: dy.shape)
    let dx = inputGradient.mutableBase
    let g = dy.base
    for i in 0..<dy.count { dx[i] = g[i] * scale }
    return inputGradient
  }
}
