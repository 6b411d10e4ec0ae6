// Reads each layer's weights from `model_weights/<layer>` (or the root, for weights-only layouts):
// `weight_names` lists the datasets in Keras's order (kernel, bias / gamma, beta, mean, variance),
// whatever their spelling ("conv2d_1/kernel:0", "convolution2d_1_W:0"...). Shapes are checked.
import ConvNet
import DrivingData
import HDF5
import TensorCore

struct KerasWeightReader {
  let path: String
  let root: H5SnapshotGroup

  /// Assigns the weights; returns the checksum of every value read, in layer and weight order.
  func load(_ layers: [ImportedLayer]) throws(ModelFileError) -> UInt64 {
    var checksum = StreamChecksum()
    let weights: H5SnapshotGroup
    if root.contains("model_weights"), let g = try? root.group("model_weights") {
      weights = g
    } else {
      weights = root
    }
    for item in layers where !item.weightRoles.isEmpty {
      let name = item.layer.name
      guard weights.contains(name), let group = try? weights.group(name) else {
        throw .missingWeight(layer: name, dataset: "model_weights/\(name)")
      }
      let names = (try? group.stringArrayAttribute("weight_names")) ?? []
      guard names.count == item.weightRoles.count else {
        throw .missingWeight(
          layer: name,
          dataset:
            "model_weights/\(name) lists \(names.count) weights \(names), the layer needs \(item.weightRoles.count) (\(item.weightRoles.joined(separator: ", ")))"
        )
      }
      var values: [String: [Float]] = [:]
      for (role, datasetName) in zip(item.weightRoles, names) {
        let read = try read(group, datasetName, layer: name, expected: expectedShape(item.layer, role))
        checksum.update(read)
        values[role] = read
      }
      try assign(item.layer, values)
    }
    return checksum.value
  }

  private func expectedShape(_ layer: any Layer, _ role: String) -> [Int] {
    switch (layer, role) {
    case (let l as Conv2D, "kernel"): l.kernel.shape
    case (let l as Conv2D, _): l.bias.shape
    case (let l as Dense, "kernel"): l.kernel.shape
    case (let l as Dense, _): l.bias.shape
    case (let l as BatchNormalization, _): [l.channels]
    default: []
    }
  }

  private func read(_ group: H5SnapshotGroup, _ dataset: String, layer: String, expected: [Int])
    throws(ModelFileError) -> [Float]
  {
    let full = "\(group.path)/\(dataset)"
    let d: H5SnapshotDataset
    do { d = try group.dataset(dataset) } catch { throw .missingWeight(layer: layer, dataset: full) }
    let shape = d.shape()
    guard shape == expected else {
      throw .weightShape(layer: layer, dataset: full, expected: expected, found: shape)
    }
    do { return try d.read(as: Float.self) } catch {
      throw .unreadable(path: path, detail: "\(full) cannot be read (truncated or damaged file?): \(error)")
    }
  }

  private func assign(_ layer: any Layer, _ v: [String: [Float]]) throws(ModelFileError) {
    do {
      switch layer {
      case let l as Conv2D:
        try l.kernel.assign(scalars: v["kernel"]!)
        try l.bias.assign(scalars: v["bias"] ?? [Float](repeating: 0, count: l.bias.count))
      case let l as Dense:
        try l.kernel.assign(scalars: v["kernel"]!)
        try l.bias.assign(scalars: v["bias"] ?? [Float](repeating: 0, count: l.bias.count))
      case let l as BatchNormalization:
        try l.gamma.assign(scalars: v["gamma"] ?? [Float](repeating: 1, count: l.channels))
        try l.beta.assign(scalars: v["beta"] ?? [Float](repeating: 0, count: l.channels))
        l.movingMean = v["moving_mean"]!
        l.movingVariance = v["moving_variance"]!
      default: break
      }
    } catch { throw .unsupportedLayerConfig(layer: layer.name, detail: "\(error)") }
  }
}
