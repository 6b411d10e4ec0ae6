// Writes model.h5 (Keras HDF5, through ModelFile's KerasModelFile) with the input pipeline the
// preparation used, the training provenance and history, and the optimizer state.
import ConvNet
import DrivingData
import Foundation
import ModelFile

struct ModelWriter {
  let run: TrainingRun
  let trainingSamples: Int
  let validationSamples: Int

  /// The pipeline the store was prepared with (the same options, or its fingerprint would not have
  /// matched), and the normalization the model's first rescaling layer performs.
  func pipeline(for model: Sequential) -> InputPipeline {
    let rescaling = model.layers.lazy.compactMap { $0 as? Rescaling }.first
    let normalization = rescaling.map { Normalization(scale: Double($0.scale), offset: Double($0.offset)) }
    return run.command.preparation.preparationOptions(for: run.options.model)
      .inputPipeline(normalization: normalization)
  }

  /// `best` is the epoch that just improved (keep-best), nil for the final write.
  func write(model: Sequential, optimizer: any Optimizer, history: TrainingHistory, best: EpochRecord?) throws
  {
    var notes = history.records.compactMap { r in r.event.map { "epoch \(r.epoch): \($0)" } }
    if let best { notes.append("saved at epoch \(best.epoch) (best validation loss so far)") }
    let record = TrainingRecord(
      data: run.command.data, trainingSamples: trainingSamples, validationSamples: validationSamples,
      seed: run.seed,
      epochs: run.options.epochs, batchSize: run.options.batchSize, history: history, notes: notes,
      savedAt: ISO8601DateFormatter().string(from: Date()), tool: "TrainNvidia (BehavioralCloning)")
    try KerasModelFile.save(
      model, to: run.options.output, pipeline: pipeline(for: model), optimizer: optimizer, training: record)
    if let best {
      print("  saved \(run.options.output) (epoch \(best.epoch), val_loss \(best.valLoss ?? best.loss))")
    }
  }
}
