// Training: ShuffledLoader over the store's train split, validation every epoch, keep-best into
// model.h5, a checkpoint after every epoch, and `--resume` from it.
import ConvNet
import DrivingData
import Foundation
import H5Store

struct TrainingRun {
  let command: TrainNvidia
  let prepared: StorePreparation

  var checkpointPath: String { command.checkpoint ?? command.output + ".checkpoint.h5" }

  /// What a checkpoint must agree with to be resumed: the data and every setting that shapes the run.
  var identity: String {
    let c = command
    return "{\"data\":\"\(prepared.store.metadata.sourceFingerprint)\",\"model\":\"\(c.model.rawValue)\","
      + "\"seed\":\(c.seed),\"batch\":\(c.batchSize),\"lr\":\(c.learningRate),\"dropout\":\(c.dropout),"
      + "\"patience\":\(c.patience)}"
  }

  func makeModel() throws -> Sequential {
    let threads = command.threads ?? availableCoreCount
    switch command.model {
    case .seed: return try Sequential.seedModel(seed: command.seed, dropout: command.dropout, threads: threads)
    case .pilotnet: return try Sequential.pilotNet(seed: command.seed, dropout: command.dropout, threads: threads)
    }
  }

  func train() throws {
    let store = prepared.store
    let model = try makeModel()
    guard model.inputShape == store.imageShape else {
      throw ValidationErrorText("the store holds \(store.imageShape) images, the \(command.model) model takes \(model.inputShape)")
    }
    let training = try ShuffledLoader(store: store, split: "train", seed: command.seed)
    let validationCount = try store.count(of: "validation")
    let validation = validationCount > 0 ? try ShuffledLoader(store: store, split: "validation", seed: command.seed) : nil
    guard training.sampleCount > 0 else { throw ValidationErrorText("the store has no training samples") }
    print(model.summary())
    print("train on \(training.sampleCount) samples, validate on \(validationCount) samples")

    var configuration = TrainerConfiguration()
    configuration.epochs = command.epochs
    configuration.batchSize = command.batchSize
    configuration.learningRate = command.learningRate
    configuration.earlyStoppingPatience = command.patience > 0 ? command.patience : nil
    let optimizer = Adam(learningRate: command.learningRate)
    let trainer = Trainer(
      model: model, optimizer: optimizer, training: training, validation: validation, configuration: configuration)

    var resumeState: TrainerState?
    if command.resume {
      if FileManager.default.fileExists(atPath: checkpointPath) {
        let state = try TrainingCheckpoint.restore(from: checkpointPath, model: model, optimizer: optimizer, identity: identity)
        print("resuming from \(checkpointPath): \(state.epochsDone) epochs done\(state.stopped ? " (run had finished)" : "")")
        resumeState = state
      } else {
        print("no checkpoint at \(checkpointPath): starting from scratch")
      }
    }

    let writer = ModelWriter(run: self, trainingSamples: training.sampleCount, validationSamples: validationCount)
    trainer.onImprovement = { model, optimizer, record in
      try writer.write(model: model, optimizer: optimizer, history: trainer.history, best: record)
    }
    let stopAfter = command.stopAfterEpoch
    trainer.onEpochEnd = { state in
      try TrainingCheckpoint.save(to: checkpointPath, model: model, optimizer: optimizer, state: state, identity: identity)
      if let stop = stopAfter, state.epochsDone >= stop, !state.stopped, state.epochsDone < command.epochs {
        throw StopRequested(epoch: state.epochsDone)
      }
    }
    let history: TrainingHistory
    do {
      history = try trainer.fit(resumingFrom: resumeState)
    } catch let stop as StopRequested {
      print("stopped after epoch \(stop.epoch) as asked; continue with --resume")
      return
    }
    // Best weights are back in the model; the final file carries the whole history.
    try writer.write(model: model, optimizer: optimizer, history: history, best: nil)
    let historyBase = (command.output as NSString).deletingPathExtension
    try history.write(
      csvTo: URL(fileURLWithPath: historyBase + ".history.csv"), jsonTo: URL(fileURLWithPath: historyBase + ".history.json"))
    if let dir = command.reportDir {
      try history.write(
        csvTo: URL(fileURLWithPath: dir + "/history.csv"), jsonTo: URL(fileURLWithPath: dir + "/history.json"))
      try model.summary().write(toFile: dir + "/summary.txt", atomically: true, encoding: .utf8)
      let table = [["Layer", "Type", "Output shape", "Parameters"]]
        + model.layers.enumerated().map { i, layer in
          [layer.name, layer.typeName, "(" + model.layerOutputShapes[i].map(String.init).joined(separator: ", ") + ")",
           String(layer.parameters.reduce(0) { $0 + $1.count })]
        } + [["Total", "", "", String(model.parameterCount)]]
      try JSONEncoder.sorted.encode(table).write(to: URL(fileURLWithPath: dir + "/summary.json"))
      if let preparation = prepared.preparation {
        try ReportFigures.writeFeatureMaps(model: model, preparation: preparation, kind: command.model, to: dir)
      }
    }
    let best = history.bestEpoch.map { "best epoch \($0), val_loss \(history.bestLoss ?? .nan)" } ?? "no best epoch"
    print("\(best); wrote \(command.output), \(historyBase).history.csv/.json, checkpoint \(checkpointPath)")
    print(training.statistics.summary)
  }
}

struct StopRequested: Error {
  let epoch: Int
}

struct ValidationErrorText: Error, CustomStringConvertible {
  let description: String
  init(_ text: String) { description = text }
}
