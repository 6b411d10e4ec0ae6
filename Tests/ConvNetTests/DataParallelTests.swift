import Dispatch
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

/// `size` ranks as threads of this process: collectives meet at a barrier and every rank adds the
/// deposited buffers in rank order (the same order, so the ranks end bit-identical).
private final class ThreadRanks: @unchecked Sendable {
  let size: Int
  private let condition = NSCondition()
  private var arrived = 0
  private var generation = 0
  private var floats: [UnsafeMutablePointer<Float>?]
  private var doubles: [[Double]]
  private var words: [UInt64]

  init(size: Int) {
    self.size = size
    floats = Array(repeating: nil, count: size)
    doubles = Array(repeating: [], count: size)
    words = Array(repeating: 0, count: size)
  }

  func barrier() {
    condition.lock()
    defer { condition.unlock() }
    let mine = generation
    arrived += 1
    if arrived == size {
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == mine { condition.wait() }
    }
  }

  func sum(rank: Int, _ buffer: UnsafeMutablePointer<Float>, count: Int) {
    condition.withLock { floats[rank] = buffer }
    barrier()
    let total = (0..<count).map { i in (0..<size).reduce(Float(0)) { $0 + floats[$1]![i] } }
    barrier()  // everyone has read every buffer
    for i in 0..<count { buffer[i] = total[i] }
  }

  func sum(rank: Int, _ values: [Double]) -> [Double] {
    condition.withLock { doubles[rank] = values }
    barrier()
    let total = values.indices.map { i in (0..<size).reduce(0.0) { $0 + doubles[$1][i] } }
    barrier()
    return total
  }

  func gather(rank: Int, _ value: UInt64) -> [UInt64] {
    condition.withLock { words[rank] = value }
    barrier()
    let all = condition.withLock { words }
    barrier()
    return all
  }
}

private final class ThreadRank: DataParallelGroup {
  let ranks: ThreadRanks
  let rank: Int
  var size: Int { ranks.size }
  init(_ ranks: ThreadRanks, rank: Int) {
    self.ranks = ranks
    self.rank = rank
  }
  func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
    ranks.sum(rank: rank, buffer, count: count)
  }
  func sum(_ values: [Double]) throws -> [Double] { ranks.sum(rank: rank, values) }
  func gather(_ value: UInt64) throws -> [UInt64] { ranks.gather(rank: rank, value) }
}

@Suite struct DataParallelTests {
  func makeTrainer(group: (any DataParallelGroup)?) throws -> Trainer {
    let model = try Sequential(
      inputShape: [8, 8, 1],
      layers: [
        Rescaling(scale: 1 / 127.5, offset: -1),
        Conv2D(
          inputChannels: 1, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), padding: .same,
          activation: .elu),
        Dropout(rate: 0.3, seed: 5), Flatten(), Dense(inputCount: 64, outputCount: 8, activation: .elu),
        Dense(inputCount: 8, outputCount: 1),
      ], seed: 4, threads: 1)
    var config = TrainerConfiguration()
    config.epochs = 3
    config.batchSize = 7  // shares of 4 and 3; 100 samples end in a short batch of 2 (one each)
    config.learningRate = 3e-3
    config.bucketFloats = 64  // several buckets, started during backward
    let trainer = Trainer(
      model: model, optimizer: Adam(learningRate: 3e-3), training: try syntheticTask(count: 100, seed: 1),
      validation: try syntheticTask(count: 30, seed: 2), configuration: config)
    trainer.group = group
    trainer.log = { _ in }
    trainer.progress = { _ in }
    return trainer
  }

  @Test func twoRanksOverASlicedSourceTakeTheStepsOfOneTrainer() throws {
    let single = try makeTrainer(group: nil)
    let reference = try single.fit()
    let ranks = ThreadRanks(size: 2)
    let trainers = try (0..<2).map { try makeTrainer(group: ThreadRank(ranks, rank: $0)) }
    let results = UncheckedSendable(ResultBox(count: 2))
    let boxed = UncheckedSendable(trainers)
    DispatchQueue.concurrentPerform(iterations: 2) { r in
      results.value.set(r, Result { try boxed.value[r].fit() })
    }
    let histories = try results.value.values.map { try $0!.get() }
    let a = single.model.parameters.snapshot()
    let b = trainers[0].model.parameters.snapshot()
    #expect(b == trainers[1].model.parameters.snapshot())
    let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    let norm = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    #expect(difference / norm < 1e-5, "relative L2 difference \(difference / norm)")
    for history in histories {
      for (x, y) in zip(history.records, reference.records) {
        #expect(abs(x.loss - y.loss) <= 1e-5 * abs(y.loss) + 1e-7)
        #expect(abs((x.valLoss ?? 0) - (y.valLoss ?? 0)) <= 1e-5 * abs(y.valLoss ?? 0) + 1e-7)
      }
    }
  }

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

/// Results of concurrent work, one slot each.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [Result<TrainingHistory, Error>?]
  init(count: Int) { values = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ value: Result<TrainingHistory, Error>) { lock.withLock { values[index] = value } }
}
