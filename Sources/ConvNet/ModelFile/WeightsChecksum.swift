// The checksum our model files and checkpoints carry, so damaged weight bytes are reported rather
// than predicted with: HDF5 itself checks no data.

enum WeightsChecksum {
  /// 16 hex digits: a string attribute, which any reader (h5py, Keras) shows as is.
  static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
