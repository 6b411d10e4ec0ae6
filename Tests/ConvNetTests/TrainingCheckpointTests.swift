import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

/// The small task model plus Dropout, so the dropout generators' state must survive a resume too.
private func droppingModel(seed: UInt64) throws -> Sequential {
  try Sequential(
    inputShape: [8, 8, 1],
    layers: [
      Rescaling(scale: 1 / 127.5, offset: -1),
      Conv2D(
        inputChannels: 1, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), padding: .same,
        activation: .elu),
      Dropout(rate: 0.3, seed: seed &+ 1),
      Flatten(),
      Dense(inputCount: 64, outputCount: 8, activation: .elu),
      Dense(inputCount: 8, outputCount: 1),
    ], seed: seed, threads: 2)
}

private struct Killed: Error {}

@Suite struct TrainingCheckpointTests {
  func makeTrainer(epochs: Int, model: Sequential) throws -> Trainer {
    var config = TrainerConfiguration()
    config.epochs = epochs
    config.batchSize = 16
    config.learningRate = 3e-3
    config.earlyStoppingPatience = nil
    let trainer = Trainer(
      model: model, optimizer: Adam(learningRate: 3e-3), training: try syntheticTask(count: 96, seed: 1),
      validation: try syntheticTask(count: 32, seed: 2), configuration: config)
    trainer.log = { _ in }
    trainer.progress = { _ in }
    return trainer
  }

  @Test func resumedRunEndsWithTheUninterruptedWeights() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-ckpt")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/run.checkpoint.h5"
    let identity = "{\"test\":1}"

    let reference = try makeTrainer(epochs: 5, model: try droppingModel(seed: 7))
    let referenceHistory = try reference.fit()

    // The same run, "killed" right after the checkpoint of epoch 2 was written.
    let first = try makeTrainer(epochs: 5, model: try droppingModel(seed: 7))
    first.onEpochEnd = { [unowned first] state in  // the trainer keeps the closure: no cycle
      try TrainingCheckpoint.save(
        to: path, model: first.model, optimizer: first.optimizer, state: state, identity: identity)
      if state.epochsDone == 2 { throw Killed() }
    }
    #expect(throws: Killed.self) { try first.fit() }

    // A new process: fresh model and optimizer (another initialisation seed, to prove the
    // checkpoint overwrites it), restored from the file.
    let second = try makeTrainer(epochs: 5, model: try droppingModel(seed: 99))
    let state = try TrainingCheckpoint.restore(
      from: path, model: second.model, optimizer: second.optimizer, identity: identity)
    #expect(state.epochsDone == 2)
    #expect(state.history.records.count == 2)
    let resumedHistory = try second.fit(resumingFrom: state)

    #expect(second.model.parameters.snapshot() == reference.model.parameters.snapshot())
    // Same history except wall-clock timing.
    func untimed(_ h: TrainingHistory) -> [String] {
      h.records.map {
        "\($0.epoch) \($0.loss) \(String(describing: $0.valLoss)) \($0.learningRate) \(String(describing: $0.predictionStd)) \($0.event ?? "")"
      }
        + ["best \(String(describing: h.bestEpoch)) \(String(describing: h.bestLoss))"]
    }
    #expect(untimed(resumedHistory) == untimed(referenceHistory))
    #expect(second.optimizer.iterations == reference.optimizer.iterations)
  }

  @Test func dropoutMasksDependOnTheirSeedSoTheResumeTestMeansSomething() throws {
    // The trainer keys every dropout mask by (seed, epoch, sample position), so a resume needs no
    // generator state. That the resume tests are not vacuous: another dropout seed ends elsewhere.
    let reference = try makeTrainer(epochs: 3, model: try droppingModel(seed: 7))
    try reference.fit()
    let model = try droppingModel(seed: 7)
    let other = Dropout(rate: 0.3, seed: 12_345)
    let layers = model.layers.map { $0 is Dropout ? other : $0 }
    let reseeded = try Sequential(inputShape: model.inputShape, layers: layers, seed: 7, threads: 2)
    let trainer = try makeTrainer(epochs: 3, model: reseeded)
    try trainer.fit()
    #expect(trainer.model.parameters.snapshot() != reference.model.parameters.snapshot())
  }

  @Test func resumeNeedsNoDropoutGeneratorState() throws {
    // The trainer keys every dropout mask by (seed, epoch, sample position), so weights, optimizer
    // state and epoch are all a resume needs: fresh dropout generators end as the reference does.
    let reference = try makeTrainer(epochs: 3, model: try droppingModel(seed: 7))
    try reference.fit()
    let other = try makeTrainer(epochs: 3, model: try droppingModel(seed: 7))
    var snapshot: (TrainerState, [Float], [Float], [Float], Int)?
    other.onEpochEnd = { [unowned other] state in  // the trainer keeps the closure: no cycle
      if state.epochsDone == 1 {
        let p = other.model.namedParameters.map(\.parameter)
        snapshot = (
          state, other.model.parameters.snapshot(),
          try p.flatMap { try other.optimizer.slot("m", for: $0).scalars },
          try p.flatMap { try other.optimizer.slot("v", for: $0).scalars }, other.optimizer.iterations
        )
        throw Killed()
      }
    }
    #expect(throws: Killed.self) { try other.fit() }
    let (state, weights, m, v, iterations) = try #require(snapshot)
    let resumed = try makeTrainer(epochs: 3, model: try droppingModel(seed: 7))
    try resumed.model.parameters.restore(weights)
    var offset = 0
    for p in resumed.model.namedParameters.map(\.parameter) {
      try resumed.optimizer.setSlot(
        "m", for: p, to: try Tensor(shape: p.shape, scalars: Array(m[offset..<offset + p.count])))
      try resumed.optimizer.setSlot(
        "v", for: p, to: try Tensor(shape: p.shape, scalars: Array(v[offset..<offset + p.count])))
      offset += p.count
    }
    resumed.optimizer.iterations = iterations
    try resumed.fit(resumingFrom: state)  // dropout generators start over
    #expect(resumed.model.parameters.snapshot() == reference.model.parameters.snapshot())
  }

  @Test func refusesACheckpointOfAnotherRun() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-ckpt")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/run.checkpoint.h5"
    let model = try droppingModel(seed: 7)
    try TrainingCheckpoint.save(
      to: path, model: model, optimizer: Adam(), state: TrainerState(), identity: "a")
    #expect(throws: ConvNetError.self) {
      _ = try TrainingCheckpoint.restore(
        from: path, model: try droppingModel(seed: 7), optimizer: Adam(), identity: "b")
    }
    // Not a checkpoint at all: a clear error, nothing overwritten.
    try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: dir + "/junk.h5"))
    #expect(throws: ConvNetError.self) {
      _ = try TrainingCheckpoint.restore(
        from: dir + "/junk.h5", model: model, optimizer: Adam(), identity: "a")
    }
    #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
  }

  /// A checkpoint whose identity an earlier build wrote by string concatenation (other key order,
  /// no precision for FP32) resumes under the typed `RunIdentity`; a different run is refused.
  @Test func resumesACheckpointWithAHandWrittenIdentity() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-ckpt")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/run.checkpoint.h5"
    let lr: Float = 1e-3
    let dropout: Float = 0.5
    let old =
      "{\"data\":\"f00d\",\"model\":\"pilotnet\","
      + "\"seed\":\(UInt64(1)),\"batch\":\(32),\"lr\":\(lr),\"dropout\":\(dropout),"
      + "\"patience\":\(4)}"
    let identity = RunIdentity(
      data: "f00d", model: "pilotnet", seed: 1, batch: 32, lr: lr, dropout: dropout, patience: 4)
    #expect(RunIdentity(json: old) == identity)
    #expect(identity.json != old, "the typed identity is written with sorted keys")
    try TrainingCheckpoint.save(
      to: path, model: try droppingModel(seed: 7), optimizer: Adam(), state: TrainerState(), identity: old)
    _ = try TrainingCheckpoint.restore(
      from: path, model: try droppingModel(seed: 7), optimizer: Adam(), identity: identity)
    var bf16 = identity
    bf16.precision = "bf16"
    var otherSeed = identity
    otherSeed.seed = 2
    for other in [bf16, otherSeed] {
      #expect(throws: ConvNetError.self) {
        _ = try TrainingCheckpoint.restore(
          from: path, model: try droppingModel(seed: 7), optimizer: Adam(), identity: other)
      }
    }
    // A typed identity round-trips through the file.
    try TrainingCheckpoint.save(
      to: path, model: try droppingModel(seed: 7), optimizer: Adam(), state: TrainerState(), identity: bf16)
    _ = try TrainingCheckpoint.restore(
      from: path, model: try droppingModel(seed: 7), optimizer: Adam(), identity: bf16)
  }
}
