// A training checkpoint: everything `Trainer.fit(resumingFrom:)` needs to continue a killed run
// and end with the same weights as an uninterrupted one. HDF5 (any h5py opens it):
//
//     /                 attrs: format, format_version, identity (JSON: what run this belongs to),
//                              trainer_state (JSON, without the best weights), learning_rate,
//                              iterations, optimizer ("Adam"/"SGD"), slot_names
//     /weights          float32 (P)        the model's flat parameters after the last epoch
//     /best_weights     float32 (P)        keep-best snapshot (absent before the first best epoch)
//     /slot_<name>      float32 (P)        optimizer slots, parameters in model order
//     /dropout_states   uint64  (D)        SplitMix64 state of each Dropout layer, in layer order
//     /dropout_seeds    uint64  (D)        each Dropout layer's seed: the trainer keys its masks
//                                          by (seed, epoch, sample), so this is what a resume needs
//                                          (absent in older checkpoints: the model's seeds stay)
//
// A root `checksum` (hex) covers trainer_state and every dataset, so damaged bytes are an error.
// Written to a temporary file and renamed, so a kill while saving leaves the previous checkpoint.
import ConvNet
import Foundation
import HDF5
import TensorCore

public enum TrainingCheckpoint {
  public static let formatName = "BehavioralCloning.TrainingCheckpoint"
  public static let formatVersion: Int32 = 1

  /// Saves the state after an epoch. `identity` names the run (data fingerprint, model, seed, batch
  /// size...); `restore` refuses a checkpoint of another run.
  public static func save(
    to path: String, model: Sequential, optimizer: any Optimizer, state: TrainerState, identity: String
  ) throws(ConvNetError) {
    let temporary = path + ".partial"
    do {
      let file = try H5File(creating: temporary, overwrite: true)
      let root = try file.root()
      try root.setAttribute("format", string: formatName)
      try root.setAttribute("format_version", formatVersion)
      try root.setAttribute("identity", string: identity)
      var light = state
      light.bestWeights = nil
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]  // the same state writes the same bytes, in any process
      let json = String(decoding: try encoder.encode(light), as: UTF8.self)
      try root.setAttribute("trainer_state", string: json)
      var checksum = StreamChecksum()
      checksum.update(Array(json.utf8))
      try root.setAttribute("learning_rate", optimizer.learningRate)
      try root.setAttribute("iterations", Int64(optimizer.iterations))
      try root.setAttribute("optimizer", string: String(describing: type(of: optimizer)))
      try root.setAttribute("slot_names", strings: optimizer.slotNames.isEmpty ? [""] : optimizer.slotNames)
      let weights = model.parameters.snapshot()
      _ = try root.createDataset("weights", values: weights, shape: [weights.count])
      checksum.update(weights)
      if let best = state.bestWeights {
        _ = try root.createDataset("best_weights", values: best, shape: [best.count])
        checksum.update(best)
      }
      for slot in optimizer.slotNames {
        var values: [Float] = []
        values.reserveCapacity(weights.count)
        for (_, p) in model.namedParameters { values += try optimizer.slot(slot, for: p).scalars }
        _ = try root.createDataset("slot_\(slot)", values: values, shape: [values.count])
        checksum.update(values)
      }
      let states = dropoutLayers(model).map(\.generator.state)
      _ = try root.createDataset(
        "dropout_states", values: states.isEmpty ? [0] : states, shape: [max(states.count, 1)])
      checksum.update(states.isEmpty ? [UInt64(0)] : states)
      let seeds = dropoutLayers(model).map(\.seed)
      _ = try root.createDataset(
        "dropout_seeds", values: seeds.isEmpty ? [0] : seeds, shape: [max(seeds.count, 1)])
      checksum.update(seeds.isEmpty ? [UInt64(0)] : seeds)
      try root.setAttribute("checksum", string: WeightsChecksum.hex(checksum.value))
      try file.close()
    } catch let error as ConvNetError {
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw .io("writing checkpoint \(path): \(error)")
    }
    guard rename(temporary, path) == 0 else {
      throw .io("renaming \(temporary) to \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// Puts the checkpoint's weights, optimizer state and dropout generators into `model` and
  /// `optimizer` (built as for the original run) and returns the loop state to resume from.
  /// `isolated` reads the file in a child process (see `IsolatedRead`).
  public static func restore(
    from path: String, model: Sequential, optimizer: any Optimizer, identity: String, isolated: Bool = false
  ) throws(ConvNetError) -> TrainerState {
    try restore(from: path, model: model, optimizer: optimizer, isolated: isolated, describing: identity) {
      $0 == identity
    }
  }

  /// Saves the state of the run `identity` (see the `String` overload).
  public static func save(
    to path: String, model: Sequential, optimizer: any Optimizer, state: TrainerState, identity: RunIdentity
  ) throws(ConvNetError) {
    try save(to: path, model: model, optimizer: optimizer, state: state, identity: identity.json)
  }

  /// Restores a checkpoint of the run `identity`: the stored identity is compared as a value, so
  /// one written with other key order or number spelling (by an earlier build) still matches.
  public static func restore(
    from path: String, model: Sequential, optimizer: any Optimizer, identity: RunIdentity,
    isolated: Bool = false
  ) throws(ConvNetError) -> TrainerState {
    try restore(from: path, model: model, optimizer: optimizer, isolated: isolated, describing: identity.json)
    {
      RunIdentity(json: $0) == identity
    }
  }

  private static func restore(
    from path: String, model: Sequential, optimizer: any Optimizer, isolated: Bool,
    describing identity: String,
    matches: (String) -> Bool
  ) throws(ConvNetError) -> TrainerState {
    do {
      let root = try IsolatedRead.snapshot(path: path, isolated: isolated)
      var checksum = StreamChecksum()
      guard (try? root.stringAttribute("format")) == formatName else {
        throw ConvNetError.io("\(path) is not a training checkpoint")
      }
      let version: Int32 = try root.attribute("format_version")
      guard version == formatVersion else {
        throw ConvNetError.io("\(path): checkpoint version \(version), this build reads \(formatVersion)")
      }
      let stored = try root.stringAttribute("identity")
      guard matches(stored) else {
        throw ConvNetError.invalidArgument(
          "\(path) belongs to another run (data, model or settings differ):\n  checkpoint: \(stored)\n  this run:   \(identity)"
        )
      }
      let kind = try root.stringAttribute("optimizer")
      guard kind == String(describing: type(of: optimizer)) else {
        throw ConvNetError.invalidArgument(
          "\(path) holds \(kind) state, this run uses \(type(of: optimizer))")
      }
      let stateJSON = try root.stringAttribute("trainer_state")
      checksum.update(Array(stateJSON.utf8))
      var state = try JSONDecoder().decode(TrainerState.self, from: Data(stateJSON.utf8))
      let weights: [Float] = try root.dataset("weights").read()
      checksum.update(weights)
      try model.parameters.restore(weights)
      if root.contains("best_weights") {
        let best: [Float] = try root.dataset("best_weights").read()
        checksum.update(best)
        guard best.count == weights.count else {
          throw ConvNetError.shapeMismatch("best weights \(best.count) vs \(weights.count)")
        }
        state.bestWeights = best
      }
      optimizer.reset()
      for slot in optimizer.slotNames {
        let values: [Float] = try root.dataset("slot_\(slot)").read()
        checksum.update(values)
        guard values.count == weights.count else {
          throw ConvNetError.shapeMismatch(
            "optimizer slot \(slot): \(values.count) values for \(weights.count) parameters")
        }
        var offset = 0
        for (_, p) in model.namedParameters {
          try optimizer.setSlot(
            slot, for: p, to: try Tensor(shape: p.shape, scalars: Array(values[offset..<offset + p.count])))
          offset += p.count
        }
      }
      optimizer.learningRate = try root.attribute("learning_rate")
      optimizer.iterations = Int(try root.attribute("iterations", as: Int64.self))
      let dropouts = dropoutLayers(model)
      let states: [UInt64] = try root.dataset("dropout_states").read()
      checksum.update(states)
      let seeds: [UInt64]? = try? root.dataset("dropout_seeds").read()
      if let seeds { checksum.update(seeds) }
      if let stored = try? root.stringAttribute("checksum"), stored != WeightsChecksum.hex(checksum.value) {
        throw ConvNetError.io("\(path) is damaged: its contents do not match their checksum")
      }
      guard states.count == max(dropouts.count, 1) else {
        throw ConvNetError.shapeMismatch(
          "\(states.count) dropout states for \(dropouts.count) dropout layers")
      }
      for (layer, s) in zip(dropouts, states) { layer.generator = SplitMix64(seed: s) }
      if let seeds {
        guard seeds.count == max(dropouts.count, 1) else {
          throw ConvNetError.shapeMismatch(
            "\(seeds.count) dropout seeds for \(dropouts.count) dropout layers")
        }
        for (layer, s) in zip(dropouts, seeds) { layer.seed = s }
      }
      return state
    } catch let error as ConvNetError {
      throw error
    } catch {
      throw .io("reading checkpoint \(path): \(error)")
    }
  }

  private static func dropoutLayers(_ model: Sequential) -> [Dropout] {
    model.layers.compactMap { $0 as? Dropout }
  }
}
