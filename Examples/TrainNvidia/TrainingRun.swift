// Training: ShuffledLoader over the store's train split, validation every epoch, keep-best into
// model.h5, a checkpoint after every epoch, and `--resume` from it.
import Cluster
import ConvNet
import DrivingData
import Foundation
import ModelFile
import SampleStore
import TensorCore

struct TrainingRun {
  let command: TrainNvidia
  /// Under mpirun, the ranks training together (data parallel); rank 0 alone prints and writes files.
  let world: MPIWorld
  var options: TrainOptions { command.training }
  var lead: Bool { world.rank == 0 }
  /// A model file to continue from (a DAgger round): its weights replace the seeded
  /// initialisation and its Adam state (moments and step count) carries on, because a fresh Adam's
  /// first steps move every weight by about the learning rate and can wreck a trained network.
  var startFrom: LoadedKerasModel?

  /// Lines for the user come from rank 0 only.
  func say(_ text: String) {
    guard lead else { return }
    print(text)
    fflush(nil)
  }

  var checkpointPath: String { options.checkpoint ?? options.output + ".checkpoint.h5" }
  var seed: UInt64 { command.preparation.seed }

  /// What a checkpoint must agree with to be resumed: the data and every setting that shapes the run.
  func identity(_ store: SampleStore) -> RunIdentity {
    let c = options
    return RunIdentity(
      data: store.metadata.sourceFingerprint, model: c.model.rawValue, seed: seed, batch: c.batchSize,
      lr: c.learningRate, dropout: c.dropout, patience: c.patience,
      precision: c.precision == .bf16 ? "bf16" : nil)
  }

  func makeModel() throws -> Sequential {
    // Each rank takes its share of the host's cores unless told otherwise.
    let threads = command.preparation.threads ?? world.coresPerRank
    let model =
      switch options.model {
      case .seed: try Sequential.seedModel(seed: seed, dropout: options.dropout, threads: threads)
      case .pilotnet: try Sequential.pilotNet(seed: seed, dropout: options.dropout, threads: threads)
      }
    try model.setPrecision(options.precision)
    return model
  }

  /// Trains; returns the history on rank 0 (nil when stopped early on request or on other ranks).
  @discardableResult
  func train() throws -> TrainingHistory? {
    let store = try SampleStore(path: command.store)
    defer { try? store.close() }
    let runIdentity = identity(store)
    let model = try makeModel()
    if let startFrom { try model.parameters.restore(startFrom.model.parameters.snapshot()) }
    guard model.inputShape == store.imageShape else {
      throw ValidationErrorText(
        "the store holds \(store.imageShape) images, the \(options.model) model takes \(model.inputShape)")
    }
    let training = try ShuffledLoader(store: store, split: "train", seed: seed)
    let validationCount = try store.count(of: "validation")
    let validation =
      validationCount > 0 ? try ShuffledLoader(store: store, split: "validation", seed: seed) : nil
    guard training.sampleCount > 0 else { throw ValidationErrorText("the store has no training samples") }
    say(model.summary())
    say(
      "train on \(training.sampleCount) samples, validate on \(validationCount) samples, precision \(model.precision)"
    )
    if world.size > 1 {
      say("data parallel on \(world.size) ranks, \(options.batchSize) samples per global batch")
    }

    var configuration = TrainerConfiguration()
    configuration.epochs = options.epochs
    configuration.batchSize = options.batchSize
    configuration.learningRate = options.learningRate
    configuration.earlyStoppingPatience = options.patience > 0 ? options.patience : nil
    configuration.bucketFloats = options.overlap ? 65_536 : 0
    let optimizer = Adam(learningRate: options.learningRate)
    if let startFrom {
      try continueOptimizer(optimizer, model: model, from: startFrom)
    }
    let trainer = Trainer(
      model: model, optimizer: optimizer, training: training, validation: validation,
      configuration: configuration)
    if world.size > 1 {
      world.timeout = options.mpiTimeout
      trainer.group = world
    }

    // Each log line reaches a pipe or file at once, as on a terminal (fflush(nil): all streams).
    let lead = lead
    trainer.log = { line in
      guard lead else { return }
      print(line)
      fflush(nil)
    }
    if !lead { trainer.progress = { _ in } }
    var resumeState: TrainerState?
    if options.resume {
      if FileManager.default.fileExists(atPath: checkpointPath) {
        let state = try TrainingCheckpoint.restore(
          from: checkpointPath, model: model, optimizer: optimizer, identity: runIdentity,
          isolated: command.isolated)
        say(
          "resuming from \(checkpointPath): \(state.epochsDone) epochs done\(state.stopped ? " (run had finished)" : "")"
        )
        resumeState = state
      } else {
        say("no checkpoint at \(checkpointPath): starting from scratch")
      }
    }

    let writer = ModelWriter(
      run: self, trainingSamples: training.sampleCount, validationSamples: validationCount)
    // unowned: the trainer keeps this closure, so a strong capture would leak both (LeakSanitizer
    // saw it once ClusterTests ran TrainNvidia under ASan).
    trainer.onImprovement = { [unowned trainer] model, optimizer, record in
      guard lead else { return }
      try writer.write(model: model, optimizer: optimizer, history: trainer.history, best: record)
    }
    let stopAfter = options.stopAfterEpoch
    trainer.onEpochEnd = { state in
      if lead {
        try TrainingCheckpoint.save(
          to: checkpointPath, model: model, optimizer: optimizer, state: state, identity: runIdentity)
      }
      if let stop = stopAfter, state.epochsDone >= stop, !state.stopped, state.epochsDone < options.epochs {
        throw StopRequested(epoch: state.epochsDone)
      }
    }
    let history: TrainingHistory
    do {
      history = try trainer.fit(resumingFrom: resumeState)
    } catch let stop as StopRequested {
      say("stopped after epoch \(stop.epoch) as asked; continue with --resume")
      return nil
    }
    let fingerprint = weightsFingerprint(model.parameters.snapshot())
    guard lead else {
      // Every rank reports its weights, so a test (or a user) can compare the replicas.
      FileHandle.standardError.write(Data("rank \(world.rank): weights fingerprint: \(fingerprint)\n".utf8))
      return nil
    }
    // Best weights are back in the model; the final file carries the whole history.
    try writer.write(model: model, optimizer: optimizer, history: history, best: nil)
    let historyBase = (options.output as NSString).deletingPathExtension
    try history.write(
      csvTo: URL(fileURLWithPath: historyBase + ".history.csv"),
      jsonTo: URL(fileURLWithPath: historyBase + ".history.json"))
    if let dir = options.reportDir {
      try history.write(
        csvTo: URL(fileURLWithPath: dir + "/history.csv"), jsonTo: URL(fileURLWithPath: dir + "/history.json")
      )
      try model.summary().write(toFile: dir + "/summary.txt", atomically: true, encoding: .utf8)
      let table =
        [["Layer", "Type", "Output shape", "Parameters"]]
        + model.layers.enumerated().map { i, layer in
          [
            layer.name, layer.typeName,
            "(" + model.layerOutputShapes[i].map(String.init).joined(separator: ", ") + ")",
            String(layer.parameters.reduce(0) { $0 + $1.count }),
          ]
        } + [["Total", "", "", String(model.parameterCount)]]
      try JSONEncoder.sorted.encode(table).write(to: URL(fileURLWithPath: dir + "/summary.json"))
      let preparation = try DataPreparation(
        data: command.data, options: command.preparation.preparationOptions(for: options.model))
      try ReportFigures.writeFeatureMaps(model: model, preparation: preparation, kind: options.model, to: dir)
    }
    let best =
      history.bestEpoch.map { "best epoch \($0), val_loss \(history.bestLoss ?? .nan)" } ?? "no best epoch"
    print("\(best); wrote \(options.output), \(historyBase).history.csv/.json, checkpoint \(checkpointPath)")
    print(training.statistics.summary)
    print("weights fingerprint: \(fingerprint)")
    if world.size > 1 {
      let exposed = world.exposedSeconds / Double(max(world.exchanges, 1)) * 1000
      let mode = options.overlap ? "overlapped with backward" : "after backward"
      print(
        "gradient allreduce: \(world.exchanges) steps (\(mode)), rank 0 waited \(String(format: "%.3f", exposed)) ms per step"
      )
    }
    return history
  }
}

/// Copies the file's Adam state onto `optimizer` for `model` (same layer layout as the file's).
func continueOptimizer(_ optimizer: Adam, model: Sequential, from start: LoadedKerasModel) throws {
  guard let adam = start.optimizer else {
    print("note: no Adam state in the model file; training continues with a fresh optimizer")
    return
  }
  let from = start.model.layers.flatMap(\.parameters)
  let to = model.layers.flatMap(\.parameters)
  guard from.count == to.count, zip(from, to).allSatisfy({ $0.count == $1.count }) else {
    throw ValidationErrorText("the model file's layers do not match the model being trained")
  }
  optimizer.iterations = adam.iterations
  for (a, b) in zip(from, to) {
    for slot in optimizer.slotNames { try optimizer.setSlot(slot, for: b, to: try adam.slot(slot, for: a)) }
  }
}

struct StopRequested: Error {
  let epoch: Int
}

struct ValidationErrorText: Error, CustomStringConvertible {
  let description: String
  init(_ text: String) { description = text }
}

/// FNV-1a over the weights' bit patterns: equal fingerprints mean bit-identical weights (the
/// resume check compares an interrupted-and-resumed run with an uninterrupted one this way).
func weightsFingerprint(_ weights: [Float]) -> String {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for w in weights {
    var bits = w.bitPattern
    for _ in 0..<4 {
      hash = (hash ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
      bits >>= 8
    }
  }
  return String(hash, radix: 16)
}
