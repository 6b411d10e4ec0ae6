import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// A group of `size` ranks seen from rank 0, whose peers hold `peerHash` and contribute nothing.
private final class OneSidedGroup: DataParallelGroup {
  let rank = 0
  let size: Int
  let peerHash: (UInt64) -> UInt64
  init(size: Int, peerHash: @escaping (UInt64) -> UInt64) {
    self.size = size
    self.peerHash = peerHash
  }
  func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {}
  func sum(_ values: [Double]) throws -> [Double] { values }
  func gather(_ value: UInt64) throws -> [UInt64] { [value] + (1..<size).map { _ in peerHash(value) } }
}

@Suite struct DataParallelTests {
  @Test func keyedDropoutMasksDoNotDependOnHowTheBatchIsSplit() throws {
    let x = seededTensor([6, 40], seed: 5)
    let whole = Dropout(rate: 0.5, seed: 9)
    whole.sampleKeys = DropoutSampleKeys(epoch: 2, firstSample: 10)
    let y = try whole.forward(x, mode: .training).scalars
    // The same six samples as two ranks' shares: positions 10-12 and 13-15 of epoch 2.
    var parts: [Float] = []
    for (first, rows) in [(10, 0..<3), (13, 3..<6)] {
      let layer = Dropout(rate: 0.5, seed: 9)
      layer.sampleKeys = DropoutSampleKeys(epoch: 2, firstSample: first)
      let part = try Tensor(
        shape: [3, 40], scalars: Array(x.scalars[(rows.lowerBound * 40)..<(rows.upperBound * 40)]))
      parts += try layer.forward(part, mode: .training).scalars
    }
    #expect(parts == y)
    // Another epoch draws other masks.
    whole.sampleKeys = DropoutSampleKeys(epoch: 3, firstSample: 10)
    #expect(try whole.forward(x, mode: .training).scalars != y)
  }

  @Test func replicaCheckPassesOnlyWhenEveryRankHoldsTheSameWeights() throws {
    let model = try Sequential.seedModel(seed: 1, threads: 1)
    try OneSidedGroup(size: 3) { $0 }.checkReplicas(model.parameters, after: "epoch 1")
    let diverged = OneSidedGroup(size: 3) { $0 ^ 1 }
    let error = #expect(throws: ConvNetError.self) {
      try diverged.checkReplicas(model.parameters, after: "epoch 4")
    }
    guard case .replicasDiverged(let text) = error else {
      Issue.record("expected replicasDiverged, got \(String(describing: error))")
      return
    }
    #expect(text.contains("epoch 4") && text.contains("ranks 1, 2 differ from rank 0"), "\(text)")
  }

  @Test func gradientBucketsTileTheStoreFromTheLastLayerDown() throws {
    let model = try Sequential.seedModel(seed: 1, threads: 1)
    let buckets = GradientBuckets(model: model, floats: 65_536).ranges
    // Dense layers (120,871 values) first, then conv5-conv3, then conv2-conv1.
    #expect(buckets.map(\.count) == [120_871, 107_888, 23_460])
    #expect(buckets.first?.upperBound == model.parameterCount && buckets.last?.lowerBound == 0)
    for (a, b) in zip(buckets, buckets.dropFirst()) { #expect(a.lowerBound == b.upperBound) }
    #expect(GradientBuckets(model: model, floats: 0).ranges == [0..<model.parameterCount])
  }
}
