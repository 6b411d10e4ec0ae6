// Writes model.h5 (Keras HDF5) with its input pipeline, provenance, history and optimizer state.
import ConvNet
import Foundation

struct ModelWriter {
  let run: TrainingRun
  let trainingSamples: Int
  let validationSamples: Int

  /// `best` is the epoch that just improved (keep-best), nil for the final write.
  func write(model: Sequential, optimizer: any Optimizer, history: TrainingHistory, best: EpochRecord?) throws {
    // PENDING h/model: KerasModelFile.save is not on this branch yet.
    if let best { print("  epoch \(best.epoch) is the best so far (model file writer pending)") }
  }
}
