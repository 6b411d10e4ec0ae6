// Per-epoch training record, saved as CSV (one row per epoch) and JSON.
import Foundation

public struct EpochRecord: Codable, Sendable, Equatable {
  public var epoch: Int
  public var loss: Float
  public var valLoss: Float?
  public var learningRate: Float
  public var seconds: Double
  public var imagesPerSecond: Double
  /// Standard deviation of validation predictions: near zero means a constant predictor.
  public var predictionStd: Float?
  /// What the trainer did after this epoch ("best", "rollback: ...", "early stop"), if anything.
  public var event: String?
}

public struct TrainingHistory: Codable, Sendable, Equatable {
  public var records: [EpochRecord] = []
  public var bestEpoch: Int?
  public var bestLoss: Float?

  public init() {}

  public func csv() -> String {
    var lines = ["epoch,loss,val_loss,learning_rate,seconds,images_per_second,prediction_std,event"]
    for r in records {
      let fields: [String] = [
        String(r.epoch), String(r.loss), r.valLoss.map { String($0) } ?? "", String(r.learningRate),
        String(format: "%.3f", r.seconds), String(format: "%.1f", r.imagesPerSecond),
        r.predictionStd.map { String($0) } ?? "",
        "\"" + (r.event ?? "").replacingOccurrences(of: "\"", with: "'") + "\"",
      ]
      lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public func json() throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try e.encode(self)
  }

  /// Writes `history.csv`-style and `history.json`-style files (atomically).
  public func write(csvTo csvURL: URL, jsonTo jsonURL: URL) throws(ConvNetError) {
    do {
      try csv().write(to: csvURL, atomically: true, encoding: .utf8)
      try json().write(to: jsonURL, options: .atomic)
    } catch { throw .io("writing history: \(error)") }
  }
}
