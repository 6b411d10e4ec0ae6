// Reading the Simulator's evaluation (drive.json, DrivingData's `DriveEvaluation`) for the report
// and for the acceptance check of `make demo`.
import DrivingData
import Foundation

extension DriveEvaluation {
  public init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ReportError.badFile(path, "cannot read it")
    }
    do { self = try JSONDecoder().decode(DriveEvaluation.self, from: data) } catch {
      throw ReportError.badFile(path, "not a Simulator evaluation: \(error)")
    }
  }
}
