// Dropout(rate): in training, zeroes each scalar with probability `rate` and scales survivors by
// 1 / (1 - rate) (inverted dropout, as Keras); in inference, the identity. Seeded: reproducible.
import TensorCore

public final class Dropout: Layer {
  public var name: String
  public var typeName: String { "Dropout" }
  public var namePrefix: String { "dropout" }
  public let rate: Float
  public var computesInputGradient = true
  public var threads = 1
  public var generator: SplitMix64

  private var mask = Tensor.zeros([0])  // 0 or 1 / (1 - rate)
  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])
  private var haveForward = false

  public init(rate: Float, seed: UInt64 = 0, name: String = "") {
    self.name = name
    self.rate = min(max(rate, 0), 0.999)
    generator = SplitMix64(seed: seed)
  }

  public func outputShape(inputShape: [Int]) throws(ConvNetError) -> [Int] { inputShape }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard mode == .training, rate > 0 else {
      haveForward = mode == .training
      if haveForward { mask.prepare(shape: x.shape) }
      if haveForward { mask.mutableBase.update(repeating: 1, count: x.count) }
      return x
    }
    mask.prepare(shape: x.shape)
    output.prepare(shape: x.shape)
    let m = mask.mutableBase
    let y = output.mutableBase
    let p = x.base
    let keep = 1 / (1 - rate)
    for i in 0..<x.count {
      m[i] = generator.nextUnitFloat() < rate ? 0 : keep
      y[i] = p[i] * m[i]
    }
    haveForward = true
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard haveForward else { throw .backwardBeforeForward(layer: name) }
    guard dy.shape == mask.shape else {
      throw .shapeMismatch("\(name) backward expects \(mask.shape), got \(dy.shape)")
    }
    haveForward = false
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(shape: dy.shape)
    let dx = inputGradient.mutableBase
    let m = mask.base
    let g = dy.base
    for i in 0..<dy.count { dx[i] = g[i] * m[i] }
    return inputGradient
  }
}
