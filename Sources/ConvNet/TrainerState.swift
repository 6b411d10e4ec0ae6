// The training loop's own state between epochs: what a checkpoint needs besides the weights, the
// optimizer's slots and the dropout generators to continue a run exactly.

public struct TrainerState: Codable, Sendable, Equatable {
  /// Epochs finished (the next one is `epochsDone + 1`).
  public var epochsDone = 0
  public var history = TrainingHistory()
  /// Keep-best snapshot (flat parameter store) and its monitored loss and prediction spread.
  public var bestWeights: [Float]?
  public var bestLoss: Float?
  public var bestPredictionStd: Float?
  public var rollbacks = 0
  /// Epochs since the best one (early stopping).
  public var sinceBest = 0
  /// Early stopping or too many rollbacks ended the run.
  public var stopped = false

  public init() {}
}
