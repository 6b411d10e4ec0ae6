// Training provenance stored beside the weights (a JSON attribute Keras ignores): what data, which
// seed, how many epochs and the loss history, so a model file says how it was made.
import ConvNet
import Foundation

/// How a model was trained. Every field is optional; `history` is the Trainer's own.
public struct TrainingRecord: Sendable, Equatable, Codable {
  /// Recordings or sample stores trained on.
  public var data: [String]
  public var trainingSamples: Int?
  public var validationSamples: Int?
  public var seed: UInt64?
  public var epochs: Int?
  public var batchSize: Int?
  public var history: TrainingHistory?
  /// Free-form notes (rollbacks, learning-rate changes...).
  public var notes: [String]
  /// ISO 8601 time the file was written.
  public var savedAt: String?
  public var tool: String?

  public init(
    data: [String] = [], trainingSamples: Int? = nil, validationSamples: Int? = nil, seed: UInt64? = nil,
    epochs: Int? = nil, batchSize: Int? = nil, history: TrainingHistory? = nil, notes: [String] = [],
    savedAt: String? = nil, tool: String? = nil
  ) {
    self.data = data
    self.trainingSamples = trainingSamples
    self.validationSamples = validationSamples
    self.seed = seed
    self.epochs = epochs
    self.batchSize = batchSize
    self.history = history
    self.notes = notes
    self.savedAt = savedAt
    self.tool = tool
  }
}
