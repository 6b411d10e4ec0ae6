// Dropout(rate): in training, zeroes each scalar with probability `rate` and scales survivors by
// 1 / (1 - rate) (inverted dropout, as Keras); in inference, the identity. Seeded: reproducible.
// The trainer keys the masks by sample (`sampleKeys`): each sample's mask comes from (seed, epoch,
// the sample's position in the epoch), so it is the same whichever rank or batch slice holds it.
import TensorCore

/// Where a batch sits in training: its epoch and the epoch position of its first sample.
public struct DropoutSampleKeys: Sendable, Equatable {
  public var epoch: Int
  public var firstSample: Int

  public init(epoch: Int, firstSample: Int) {
    self.epoch = epoch
    self.firstSample = firstSample
  }
}

public final class Dropout: Layer {
  public var name: String
  public var typeName: String { "Dropout" }
  public var namePrefix: String { "dropout" }
  public let rate: Float
  public var computesInputGradient = true
  public var threads = 1
  /// Draws the masks while `sampleKeys` is nil, one scalar after another.
  public var generator: SplitMix64
  /// Seed of the keyed masks (a checkpoint restores it).
  public var seed: UInt64
  /// When set, sample i's mask is drawn from (seed, epoch, firstSample + i) alone.
  public var sampleKeys: DropoutSampleKeys?

  private var mask = Tensor.zeros([0])  // 0 or 1 / (1 - rate)
  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])
  private var haveForward = false

  public init(rate: Float, seed: UInt64 = 0, name: String = "") {
    self.name = name
    self.rate = min(max(rate, 0), 0.999)
    self.seed = seed
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
    if let keys = sampleKeys {
      let n = x.shape[0]
      let per = x.count / max(n, 1)
      let epochStream = SplitMix64(seed: seed).derived(UInt64(truncatingIfNeeded: keys.epoch))
      for s in 0..<n {
        var g = epochStream.derived(UInt64(truncatingIfNeeded: keys.firstSample + s))
        for i in (s * per)..<((s + 1) * per) {
          m[i] = g.nextUnitFloat() < rate ? 0 : keep
          y[i] = p[i] * m[i]
        }
      }
    } else {
      for i in 0..<x.count {
        m[i] = generator.nextUnitFloat() < rate ? 0 : keep
        y[i] = p[i] * m[i]
      }
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
