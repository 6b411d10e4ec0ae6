// Restores Adam from `optimizer_weights`: tf-keras 2.11+ / our layout names each slot
// ("iteration:0", "Adam/m/<layer>/<param>:0"); Keras 2.0-2.2 stores [iterations, m..., v...(, vhat...)]
// by position. Anything else is reported in the notes and training restarts the optimizer.
import ConvNet
import Foundation
import HDF5
import TensorCore

package struct KerasOptimizerReader {
  let root: H5SnapshotGroup
  let model: Sequential

  func adam(notes: inout [String]) -> Adam? {
    guard root.contains("optimizer_weights"), let group = try? root.group("optimizer_weights")
    else { return nil }
    let adam = adamFromTrainingConfig()
    guard let adam else {
      notes.append("optimizer state ignored: training_config does not name Adam")
      return nil
    }
    guard let names = try? group.stringArrayAttribute("weight_names"), !names.isEmpty else {
      notes.append("optimizer state ignored: optimizer_weights has no weight_names")
      return nil
    }
    let params = model.layers.flatMap { l in l.parameters.map { (l.name, $0) } }
    do {
      if names.contains(where: { $0.contains("/m/") }) {
        for name in names {
          let d = try group.dataset(name)
          if name.hasPrefix("iteration") {
            adam.iterations = Int(try d.read(as: Int64.self).first ?? 0)
            continue
          }
          guard let (slot, layer, param) = parse(name),
            let p = params.first(where: { $0.0 == layer && $0.1.name == param })?.1
          else { throw ModelFileError.invalidArgument("optimizer weight \(name) matches no parameter") }
          try adam.setSlot(
            slot, for: p, to: Tensor(shape: d.shape(), scalars: try d.read(as: Float.self)))
        }
      } else {
        // Positional: iterations, m per parameter, v per parameter (2.2.x adds vhat slots).
        guard names.count == 1 + 2 * params.count || names.count == 1 + 3 * params.count else {
          notes.append(
            "optimizer state ignored: \(names.count) optimizer weights for \(params.count) parameters")
          return nil
        }
        adam.iterations = Int(try group.dataset(names[0]).read(as: Int64.self).first ?? 0)
        for (k, (_, p)) in params.enumerated() {
          for (s, slot) in ["m", "v"].enumerated() {
            let d = try group.dataset(names[1 + s * params.count + k])
            try adam.setSlot(
              slot, for: p, to: Tensor(shape: d.shape(), scalars: try d.read(as: Float.self)))
          }
        }
      }
    } catch {
      notes.append("optimizer state ignored: \(error)")
      return nil
    }
    notes.append("restored Adam state at iteration \(adam.iterations)")
    return adam
  }

  /// "Adam/m/conv2d/kernel:0" -> ("m", "conv2d", "kernel").
  private func parse(_ name: String) -> (String, String, String)? {
    var parts = name.split(separator: "/").map(String.init)
    guard parts.count >= 4, let last = parts.popLast() else { return nil }
    let param = String(last.split(separator: ":").first ?? "")
    let layer = parts.removeLast()
    guard let slot = parts.last, slot == "m" || slot == "v" else { return nil }
    return (slot, layer, param)
  }

  private func adamFromTrainingConfig() -> Adam? {
    (try? root.stringAttribute("training_config")).flatMap(Self.adam(trainingConfig:))
  }

  /// The Adam a training_config JSON names, or nil (package: the KerasConfig fuzz target feeds it).
  package static func adam(trainingConfig text: String) -> Adam? {
    guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let opt = json["optimizer_config"] as? [String: Any], let cls = opt["class_name"] as? String,
      cls.hasSuffix("Adam")
    else { return nil }
    let c = (opt["config"] as? [String: Any]) ?? [:]
    func number(_ keys: String..., default d: Double) -> Float {
      for k in keys { if let v = LayerConfig.number(c[k]) { return Float(v) } }
      return Float(d)
    }
    return Adam(
      learningRate: number("learning_rate", "lr", default: 1e-3), beta1: number("beta_1", default: 0.9),
      beta2: number("beta_2", default: 0.999), epsilon: number("epsilon", default: 1e-7))
  }
}
