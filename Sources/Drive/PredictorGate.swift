import DrivingData
import NIOConcurrencyHelpers

/// Serializes calls into a predictor (DrivingData's `SteeringPredictor`) shared by every connection
/// (one lock; the server's event loops may call from several threads).
package final class PredictorGate: @unchecked Sendable {
  private let lock = NIOLock()
  private var predictor: any SteeringPredictor

  package init(_ predictor: sending any SteeringPredictor) {
    self.predictor = predictor
  }

  package func steering(for image: RGBImage) throws -> Float {
    try lock.withLock { try predictor.steering(for: image) }
  }
}
