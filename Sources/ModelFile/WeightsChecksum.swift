// The checksum our model files and checkpoints carry, so damaged weight bytes are reported rather
// than predicted with: HDF5 itself checks no data.
import ConvNet
import HDF5

enum WeightsChecksum {
  /// 16 hex digits: a string attribute, which any reader (h5py, Keras) shows as is.
  static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// `bc_config_checksum`: the model_config and input pipeline texts, which decide what the
  /// weights compute.
  static func config(modelJSON: String, pipelineJSON: String?) -> String {
    var checksum = StreamChecksum()
    checksum.update(Array(modelJSON.utf8) + [0] + Array((pipelineJSON ?? "").utf8))
    return hex(checksum.value)
  }
}
