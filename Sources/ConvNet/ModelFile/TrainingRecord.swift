// Training provenance stored beside the weights (a JSON attribute Keras ignores): what data, which
// seed, how many epochs and the loss history, so a model file says how it was made.
import Foundation

/// One epoch of history.
public struct EpochRecord: Sendable, Equatable, Codable {
  public var epoch: Int
  public var loss: Double
  public var validationLoss: Double?
  public var learningRate: Double?
  public var seconds: Double?

  public init(epoch: Int, loss: Double, validationLoss: Double? = nil, learningRate: Double? = nil, seconds: Double? = nil) {
    self.epoch = epoch
    self.loss = loss
    self.validationLoss = validationLoss
    self.learningRate = learningRate
    self.seconds = seconds
  }
}

/// How a model was trained. Every field is optional except the history list (possibly empty).
public struct TrainingRecord: Sendable, Equatable, Codable {
  /// Recordings or sample stores trained on.
  public var data: [String]
  public var trainingSamples: Int?
  public var validationSamples: Int?
  public var seed: UInt64?
  public var epochs: Int?
  public var batchSize: Int?
  public var history: [EpochRecord]
  /// Free-form notes (rollbacks, learning-rate changes...).
  public var notes: [String]
  /// ISO 8601 time the file was written.
  public var savedAt: String?
  public var tool: String?

  public init(
    data: [String] = [], trainingSamples: Int? = nil, validationSamples: Int? = nil, seed: UInt64? = nil,
    epochs: Int? = nil, batchSize: Int? = nil, history: [EpochRecord] = [], notes: [String] = [],
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
