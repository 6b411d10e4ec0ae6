import DrivingData
import TestSupport
// BatchNormalization (frozen statistics): forward against the formula computed naively, and
// finite-difference gradients for input, gamma and beta.
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

@Suite struct ModelFileBatchNormalizationTests {
  func layer() -> BatchNormalization {
    let bn = BatchNormalization(channels: 3, epsilon: 1e-3, name: "bn")
    try? bn.gamma.assign(scalars: [0.5, 1.5, -1])
    try? bn.beta.assign(scalars: [0.1, -0.2, 0.3])
    bn.movingMean = [0.2, -0.1, 0.05]
    bn.movingVariance = [0.8, 1.7, 0.3]
    return bn
  }

  @Test func forwardIsTheFormula() throws {
    let bn = layer()
    let x = seededTensor([2, 2, 2, 3], seed: 5)
    let y = try bn(x)
    let xs = x.scalars
    let expected = (0..<xs.count).map { i -> Float in
      let c = i % 3
      return [0.5, 1.5, -1][c] * (xs[i] - bn.movingMean[c]) / (bn.movingVariance[c] + 1e-3).squareRoot()
        + [0.1, -0.2, 0.3][c]
    }
    #expect(closenessRatio(y.scalars, expected) <= 1)
    #expect(throws: ConvNetError.self) { try bn(seededTensor([2, 4], seed: 1)) }
  }

  @Test func gradientsMatchFiniteDifferences() throws {
    let r = try checkGradients(layer(), input: seededTensor([2, 3, 2, 3], seed: 7))
    #expect(r.input < 1e-2)
    #expect(r.parameters["gamma"]! < 1e-2)
    #expect(r.parameters["beta"]! < 1e-2)
  }
}
