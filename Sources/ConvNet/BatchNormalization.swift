// BatchNormalization with frozen statistics (Keras inference semantics), over the last axis:
// y = gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta.
// x: (N, ..., C), gamma/beta/mean/variance: (C) -> y: like x. Training mode also uses the moving
// statistics (fine-tuning a loaded model keeps them frozen); gamma and beta are trainable.
import TensorCore

public final class BatchNormalization: Layer {
  public var name: String
  public var typeName: String { "BatchNormalization" }
  public var namePrefix: String { "batch_normalization" }
  public let gamma: Parameter
  public let beta: Parameter
  /// Non-trainable statistics, (C) each.
  public var movingMean: [Float]
  public var movingVariance: [Float]
  public let epsilon: Float
  public let channels: Int
  public var computesInputGradient = true
  public var threads = 1
  public var parameters: [Parameter] { [gamma, beta] }

  private var normalized = Tensor.zeros([0])  // (x - mean) / sqrt(var + eps), kept for backward
  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])
  private var haveForward = false

  public init(channels: Int, epsilon: Float = 1e-3, name: String = "") {
    self.name = name
    self.channels = channels
    self.epsilon = epsilon
    gamma = Parameter(name: "gamma", shape: [channels])
    beta = Parameter(name: "beta", shape: [channels])
    movingMean = [Float](repeating: 0, count: channels)
    movingVariance = [Float](repeating: 1, count: channels)
  }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] {
    guard s.last == channels else {
      throw .shapeMismatch("\(name) expects \(channels) channels last, got \(s)")
    }
    return s
  }

  public func initialize(generator: inout SplitMix64) {
    gamma.values.update(repeating: 1, count: channels)
    beta.values.update(repeating: 0, count: channels)
  }

  private var inverseStd: [Float] { movingVariance.map { 1 / ($0 + epsilon).squareRoot() } }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank >= 2, x.shape.last == channels else {
      throw .shapeMismatch("\(name) expects (N, ..., \(channels)), got \(x.shape)")
    }
    normalized.prepare(shape: x.shape)
    output.prepare(shape: x.shape)
    let (p, n, y) = (x.base, normalized.mutableBase, output.mutableBase)
    let (g, b) = (gamma.values, beta.values)
    let inv = inverseStd
    var i = 0
    while i < x.count {
      for c in 0..<channels {
        n[i + c] = (p[i + c] - movingMean[c]) * inv[c]
        y[i + c] = g[c] * n[i + c] + b[c]
      }
      i += channels
    }
    haveForward = mode == .training
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard haveForward else { throw .backwardBeforeForward(layer: name) }
    guard dy.shape == output.shape else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    haveForward = false
    let (d, n) = (dy.base, normalized.base)
    let (dg, db) = (gamma.gradients, beta.gradients)
    var i = 0
    while i < dy.count {
      for c in 0..<channels {
        dg[c] += d[i + c] * n[i + c]
        db[c] += d[i + c]
      }
      i += channels
    }
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(shape: dy.shape)
    let dx = inputGradient.mutableBase
    let inv = inverseStd
    let g = gamma.values
    i = 0
    while i < dy.count {
      for c in 0..<channels { dx[i + c] = d[i + c] * g[c] * inv[c] }
      i += channels
    }
    return inputGradient
  }
}
