// What makes two training runs the same run, so a checkpoint resumes only the run that wrote it.
// Stored as JSON in the checkpoint's `identity` attribute and compared as values, not as text.
import Foundation

public struct RunIdentity: Codable, Sendable, Equatable {
  /// Fingerprint of the recordings and preparation options the sample store was built from.
  public var data: String
  /// The architecture (`ModelKind` raw value).
  public var model: String
  public var seed: UInt64
  public var batch: Int
  /// Adam's learning rate.
  public var lr: Float
  public var dropout: Float
  public var patience: Int
  /// nil for FP32: FP32 runs keep the identity they had before precision existed, so their
  /// checkpoints resume.
  public var precision: String?

  public init(
    data: String, model: String, seed: UInt64, batch: Int, lr: Float, dropout: Float, patience: Int,
    precision: String? = nil
  ) {
    self.data = data
    self.model = model
    self.seed = seed
    self.batch = batch
    self.lr = lr
    self.dropout = dropout
    self.patience = patience
    self.precision = precision
  }

  /// The identity as a checkpoint stores it: JSON with sorted keys.
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Encoding strings and numbers cannot fail.
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  /// Decodes a stored identity, whatever its key order (earlier builds wrote it by hand); nil if it
  /// is not one.
  public init?(json: String) {
    guard let value = try? JSONDecoder().decode(RunIdentity.self, from: Data(json.utf8)) else { return nil }
    self = value
  }
}
