// The training loop: for epoch { for batch { forward, loss, backward, step } } over any BatchSource,
// with validation, a Keras-like progress line, history, keep-best, early stopping, and a guard
// against the seed's collapse (loss spike or constant predictor -> roll back, lower the LR, log it).
import Foundation
import TensorCore

public struct TrainerConfiguration: Sendable {
  public var epochs = 10
  public var batchSize = 32
  public var learningRate: Float = 1e-3
  /// Epochs without a better monitored loss before stopping; nil never stops early.
  public var earlyStoppingPatience: Int? = 4
  /// Put the best weights back in the model when training ends.
  public var restoreBestWeights = true
  /// Collapse: monitored loss above `spikeFactor` x best, a non-finite loss, or prediction spread
  /// below `constantPredictorRatio` x the best epoch's spread.
  public var collapseGuard = true
  public var spikeFactor: Float = 3
  public var constantPredictorRatio: Float = 0.1
  /// LR multiplier after each rollback, and how many rollbacks before giving up.
  public var rollbackLearningRateFactor: Float = 0.5
  public var maxRollbacks = 3
  /// Data parallel: gradient buckets of at least this many floats are summed while backward goes
  /// on (0: one sum after backward).
  public var bucketFloats = 65_536
  /// Seconds between progress-line refreshes.
  public var progressInterval = 1.0

  public init() {}
}

public final class Trainer {
  public let model: Sequential
  public let optimizer: any Optimizer
  public let training: any BatchSource
  public let validation: (any BatchSource)?
  public var configuration: TrainerConfiguration
  /// Complete lines (epoch summaries, rollbacks). Default: stdout.
  public var log: (String) -> Void = { print($0) }
  /// In-place progress updates (no newline; a terminal shows them with "\r"). Default: stderr.
  public var progress: (String) -> Void = { FileHandle.standardError.write(Data(("\r" + $0).utf8)) }
  /// Called whenever the monitored loss improves (e.g. to write model.h5); errors stop training.
  public var onImprovement: ((Sequential, any Optimizer, EpochRecord) throws -> Void)?
  /// Called after every epoch with the loop's state, e.g. to write a checkpoint that, with the
  /// model's weights and the optimizer's state of that moment, `fit(resumingFrom:)` continues.
  public var onEpochEnd: ((TrainerState) throws -> Void)?
  /// Data parallel: ranks that train this model together (nil: this process alone). Each takes its
  /// share of every global batch of `configuration.batchSize`; gradients, losses and validation
  /// sums are reduced over the group, so every rank takes the same decisions.
  public var group: (any DataParallelGroup)?
  public private(set) var history = TrainingHistory()
  private var best: (weights: [Float], loss: Float, predictionStd: Float?)?
  private var initialWeights: [Float] = []

  public init(
    model: Sequential, optimizer: any Optimizer = Adam(), training: any BatchSource,
    validation: (any BatchSource)? = nil, configuration: TrainerConfiguration = TrainerConfiguration()
  ) {
    self.model = model
    self.optimizer = optimizer
    self.training = training
    self.validation = validation
    self.configuration = configuration
    optimizer.learningRate = configuration.learningRate
  }

  /// Trains for `configuration.epochs` (or until early stopping) and returns the history.
  /// `resumingFrom` continues after the epoch a checkpoint was taken at (`onEpochEnd`); with the
  /// model's weights, the optimizer's state and the dropout generators restored too, the run ends
  /// exactly as an uninterrupted one.
  @discardableResult
  public func fit(resumingFrom resume: TrainerState? = nil) throws -> TrainingHistory {
    let c = configuration
    var loop = resume ?? TrainerState()
    history = loop.history
    best = loop.bestWeights.map { ($0, loop.bestLoss ?? .infinity, loop.bestPredictionStd) }
    // Rollback target before any best epoch (a resumed run without one restarts from its weights).
    initialWeights = model.parameters.snapshot()
    while !loop.stopped && loop.epochsDone < max(c.epochs, 1) {
      let epoch = loop.epochsDone + 1
      loop.stopped = try runEpoch(epoch, rollbacks: &loop.rollbacks, sinceBest: &loop.sinceBest)
      loop.epochsDone = epoch
      loop.history = history
      loop.bestWeights = best?.weights
      loop.bestLoss = best?.loss
      loop.bestPredictionStd = best?.predictionStd
      try group?.checkReplicas(model.parameters, after: "epoch \(epoch)")
      try onEpochEnd?(loop)
    }
    if c.restoreBestWeights, let b = best { try model.parameters.restore(b.weights) }
    return history
  }

  /// One epoch of `fit`: train, validate, guard, keep-best, early stopping. Returns true to stop.
  private func runEpoch(_ epoch: Int, rollbacks: inout Int, sinceBest: inout Int) throws -> Bool {
    let c = configuration
    log("Epoch \(epoch)/\(c.epochs)")
    var record = try trainEpoch(epoch)
    if let v = validation {
      let (loss, spread) = try evaluate(v)
      record.valLoss = loss
      record.predictionStd = spread
    }
    let monitored = record.valLoss ?? record.loss
    log(summaryLine(record))
    if c.collapseGuard, let reason = collapseReason(record, monitored: monitored, best: best) {
      rollbacks += 1
      try model.parameters.restore(best?.weights ?? initialWeights)
      optimizer.reset()
      let old = optimizer.learningRate
      optimizer.learningRate *= c.rollbackLearningRateFactor
      record.event =
        "rollback: \(reason); restored \(history.bestEpoch.map { "epoch \($0)" } ?? "initial") weights, lr \(old) -> \(optimizer.learningRate)"
      log("  collapse guard: \(record.event!)")
      history.records.append(record)
      if rollbacks > c.maxRollbacks {
        log("  stopping: \(rollbacks) rollbacks")
        return true
      }
      return false
    }
    if monitored.isFinite, best == nil || monitored < best!.loss {
      best = (model.parameters.snapshot(), monitored, record.predictionStd)
      history.bestEpoch = epoch
      history.bestLoss = monitored
      record.event = "best"
      sinceBest = 0
      try onImprovement?(model, optimizer, record)
    } else {
      sinceBest += 1
    }
    history.records.append(record)
    if let patience = c.earlyStoppingPatience, sinceBest >= patience {
      log("  early stopping: no improvement for \(patience) epochs (best epoch \(history.bestEpoch ?? 0))")
      history.records[history.records.count - 1].event = "early stop"
      return true
    }
    return false
  }

  private func collapseReason(
    _ r: EpochRecord, monitored: Float, best: (weights: [Float], loss: Float, predictionStd: Float?)?
  ) -> String? {
    let c = configuration
    if !monitored.isFinite || !r.loss.isFinite { return "non-finite loss" }
    guard let best else { return nil }
    if monitored > c.spikeFactor * best.loss {
      return "loss spike \(monitored) > \(c.spikeFactor) x best \(best.loss)"
    }
    if let s = r.predictionStd, let b = best.predictionStd, b > 0, s < c.constantPredictorRatio * b {
      return "constant predictor (prediction std \(s) vs \(b) at best)"
    }
    return nil
  }

  private func trainEpoch(_ epoch: Int) throws -> EpochRecord {
    let c = configuration
    let stream = try makeStream(training, epoch: epoch - 1)
    defer { stream.cancel() }
    let totalSteps = (training.sampleCount + c.batchSize - 1) / c.batchSize
    let start = Date()
    var lastShown = Date.distantPast
    var seen = 0
    var lossSum = 0.0  // this rank's samples (all of them without a group)
    var localSeen = 0
    var step = 0
    let dropouts = model.layers.compactMap { $0 as? Dropout }
    defer { for d in dropouts { d.sampleKeys = nil } }
    var epochPosition = 0
    while let (batch, share, globalCount) = try nextShare(
      stream, epochPosition: epochPosition, total: training)
    {
      for d in dropouts {
        d.sampleKeys = DropoutSampleKeys(epoch: epoch, firstSample: epochPosition + share.lowerBound)
      }
      epochPosition += globalCount
      model.zeroGradients()
      let loss = try localStep(batch, globalCount: globalCount)
      if !loss.isFinite {
        // Diverged: finishing the epoch would only waste time; the collapse guard takes over.
        seen += globalCount
        lossSum = .nan
        break
      }
      optimizer.step(model.parameters)
      step += 1
      seen += globalCount
      localSeen += batch.count
      lossSum += Double(loss) * Double(batch.count)
      let now = Date()
      if now.timeIntervalSince(lastShown) >= c.progressInterval || step == totalSteps {
        lastShown = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(seen) / max(elapsed, 1e-9)
        let eta = Double(max(training.sampleCount - seen, 0)) / max(rate, 1e-9)
        progress(
          "\(progressBar(step: step, total: totalSteps)) - \(Int(rate)) img/s - ETA \(clock(eta)) - loss: \(fmt(Float(lossSum / Double(max(localSeen, 1)))))"
        )
      }
    }
    if let group, !lossSum.isNaN { lossSum = try group.sum([lossSum])[0] }
    let elapsed = Date().timeIntervalSince(start)
    progress("\n")
    return EpochRecord(
      epoch: epoch, loss: Float(lossSum / Double(max(seen, 1))), valLoss: nil,
      learningRate: optimizer.learningRate, seconds: elapsed,
      imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
      predictionStd: nil, event: nil)
  }

  /// The epoch's batches: with a group, a source that can read only this rank's share does so.
  private func makeStream(_ source: any BatchSource, epoch: Int) throws -> any BatchStream {
    if let group, group.size > 1, let sharded = source as? any ShardedBatchSource {
      return try sharded.makeEpoch(epoch, batchSize: configuration.batchSize, shard: (group.rank, group.size))
    }
    return try source.makeEpoch(epoch, batchSize: configuration.batchSize)
  }

  /// This rank's share of the next global batch, where that share sits in it, and the global
  /// batch's size (which follows from the position: every global batch but the last is full).
  private func nextShare(_ stream: any BatchStream, epochPosition: Int, total source: any BatchSource) throws
    -> (
      SampleBatch, Range<Int>, Int
    )?
  {
    guard let batch = try stream.next() else { return nil }
    guard let group, group.size > 1 else { return (batch, 0..<batch.count, batch.count) }
    guard source is any ShardedBatchSource else {
      let share = group.share(of: batch.count)
      return (batch.samples(share), share, batch.count)
    }
    let globalCount = min(configuration.batchSize, source.sampleCount - epochPosition)
    let share = group.share(of: globalCount)
    guard batch.count == share.count else {
      throw ConvNetError.shapeMismatch(
        "rank \(group.rank): a shard batch of \(batch.count) samples, expected \(share.count) of \(globalCount)"
      )
    }
    return (batch, share, globalCount)
  }

  /// Forward, loss and backward on this rank's share of a global batch. With a group the gradients
  /// are then summed over the ranks, each share weighted by its size, which gives the mean gradient
  /// of the global batch. Returns the local loss, or NaN on every rank when any rank's loss (or the
  /// summed gradient) is not finite, so all ranks leave the epoch at the same step.
  private func localStep(_ batch: SampleBatch, globalCount: Int) throws -> Float {
    let store = model.parameters
    let sum = group.map {
      BucketedSum(
        group: $0, buckets: GradientBuckets(model: model, floats: configuration.bucketFloats), store: store,
        weight: Float(batch.count) / Float(globalCount))
    }
    var loss: Float = 0
    if batch.count > 0 {
      let y = try model.forward(batch: batch, mode: .training)
      let (l, dy) = try mseLoss(predictions: y, targets: batch.labels)
      loss = l
      if l.isFinite {
        model.onGradientsReady = sum.map { s in { s.ready(from: $0) } }
        defer { model.onGradientsReady = nil }
        try model.backward(dy)
      }
    }
    guard let sum else { return loss }
    // A non-finite loss poisons the sum, so every rank sees it and leaves the epoch together.
    if !loss.isFinite { store.gradients[0] = .nan }
    try sum.finish()
    return store.gradients[0].isFinite ? loss : .nan
  }

  /// Mean squared error over a whole source (inference mode) and the spread of the predictions.
  public func evaluate(_ source: any BatchSource) throws -> (loss: Float, predictionStd: Float) {
    let stream = try makeStream(source, epoch: 0)
    defer { stream.cancel() }
    var sum = 0.0
    var n = 0
    var p1 = 0.0
    var p2 = 0.0
    var position = 0
    while let (batch, _, globalCount) = try nextShare(stream, epochPosition: position, total: source) {
      position += globalCount
      guard batch.count > 0 else { continue }
      let y = try model.forward(batch: batch, mode: .inference)
      sum += Double(try mseLoss(predictions: y, targets: batch.labels).loss) * Double(batch.count)
      for i in 0..<batch.count {
        let v = Double(y.base[i * (y.count / batch.count)])
        p1 += v
        p2 += v * v
      }
      n += batch.count
    }
    if let group {
      let total = try group.sum([sum, Double(n), p1, p2])
      (sum, n, p1, p2) = (total[0], Int(total[1]), total[2], total[3])
    }
    guard n > 0 else { throw ConvNetError.invalidArgument("validation source is empty") }
    let mean = p1 / Double(n)
    return (Float(sum / Double(n)), Float(max(p2 / Double(n) - mean * mean, 0).squareRoot()))
  }

  private func summaryLine(_ r: EpochRecord) -> String {
    let steps = (training.sampleCount + configuration.batchSize - 1) / configuration.batchSize
    var s =
      "\(progressBar(step: steps, total: steps)) - \(Int(r.seconds.rounded()))s - \(Int(r.imagesPerSecond)) img/s - loss: \(fmt(r.loss))"
    if let v = r.valLoss { s += " - val_loss: \(fmt(v))" }
    return s
  }
}

/// "  12/100 [==>..........................]"
func progressBar(step: Int, total: Int, width: Int = 30) -> String {
  let t = max(total, 1)
  let filled = min(width, step * width / t)
  let bar = String(repeating: "=", count: max(filled - 1, 0)) + (filled > 0 ? (step >= t ? "=" : ">") : "")
  let digits = String(t).count
  let left = String(repeating: " ", count: max(digits - String(step).count, 0)) + String(step)
  return "\(left)/\(t) [" + bar + String(repeating: ".", count: width - bar.count) + "]"
}

func clock(_ seconds: Double) -> String {
  let s = Int(seconds.rounded())
  return s >= 3600
    ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    : String(format: "%d:%02d", s / 60, s % 60)
}

func fmt(_ v: Float) -> String { String(format: "%.4g", v) }
