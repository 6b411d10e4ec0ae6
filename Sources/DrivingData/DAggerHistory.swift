// What DAgger rounds did (dagger.json): TrainNvidia --dagger writes it, the report reads it. One
// Codable type, so writer and reader cannot drift.
import Foundation

/// One supervised drive of a DAgger run: the model trained so far drove, the expert labelled what
/// it saw and took the wheel only to keep the car on the road.
public struct DAggerRound: Sendable, Codable, Equatable {
  /// 1...K for the rounds that add data; K + 1 for the check drive of the final model.
  public var round: Int
  /// Whether the drive's rows were added to the data (false for the final check).
  public var recorded: Bool
  /// Rows labelled (one per frame the network was sent), of which while the expert drove.
  public var rows: Int
  public var recoveryRows: Int
  /// Distance driven, in laps: what the round costs of the data budget when recorded.
  public var laps: Double
  /// Times the expert took the wheel, and off-road events it could not prevent.
  public var interventions: Int
  public var offroadEvents: Int
  /// Distance of the car's centre from the centre line (m), whoever drove.
  public var meanCteM: Double
  public var maxCteM: Double
  /// The recording folder the rows went to (nil for the check drive).
  public var recording: String?
  /// Best validation loss of the model that drove.
  public var validationLoss: Double?

  public init(
    round: Int, recorded: Bool, rows: Int, recoveryRows: Int, laps: Double, interventions: Int,
    offroadEvents: Int, meanCteM: Double, maxCteM: Double, recording: String?, validationLoss: Double?
  ) {
    self.round = round
    self.recorded = recorded
    self.rows = rows
    self.recoveryRows = recoveryRows
    self.laps = laps
    self.interventions = interventions
    self.offroadEvents = offroadEvents
    self.meanCteM = meanCteM
    self.maxCteM = maxCteM
    self.recording = recording
    self.validationLoss = validationLoss
  }

  enum CodingKeys: String, CodingKey {
    case round, recorded, rows, laps, interventions, recording
    case recoveryRows = "recovery_rows"
    case offroadEvents = "offroad_events"
    case meanCteM = "mean_cte_m"
    case maxCteM = "max_cte_m"
    case validationLoss = "validation_loss"
  }
}

/// A whole DAgger run: where and how it drove, and each round.
public struct DAggerHistory: Sendable, Codable, Equatable {
  public var track: String
  public var speedMph: Double
  /// The latency and conditions the rounds drove under (as drive.json states them).
  public var latency: String?
  public var conditions: String?
  public var rounds: [DAggerRound]

  public init(
    track: String, speedMph: Double, latency: String?, conditions: String?, rounds: [DAggerRound] = []
  ) {
    self.track = track
    self.speedMph = speedMph
    self.latency = latency
    self.conditions = conditions
    self.rounds = rounds
  }

  enum CodingKeys: String, CodingKey {
    case track, latency, conditions, rounds
    case speedMph = "speed_mph"
  }

  /// Laps of rows the rounds added to the data.
  public var addedLaps: Double { rounds.filter(\.recorded).reduce(0) { $0 + $1.laps } }

  /// Reads dagger.json.
  public init(contentsOf path: String) throws {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw DrivingDataError.unreadableFile(path: path, reason: error.localizedDescription)
    }
    do { self = try JSONDecoder().decode(DAggerHistory.self, from: data) } catch {
      throw DrivingDataError.unreadableFile(path: path, reason: "not a DAgger history: \(error)")
    }
  }

  /// Pretty-printed JSON with sorted keys.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }
}
