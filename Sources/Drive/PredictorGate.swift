import DrivingData
import NIOConcurrencyHelpers

/// Serializes calls into a predictor (DrivingData's `SteeringPredictor`) shared by every connection
/// (one lock; the server's event loops may call from several threads).
package final class PredictorGate: @unchecked Sendable {
  private let lock = NIOLock()
  private var predictor: any SteeringPredictor

  /// Set when the gate was made for saliency: the same predictor, kept as what it is so neither
  /// call copies it (a copy would reallocate its scratch buffers on the next frame).
  private var saliencyPredictor: (any SaliencyPredictor)?

  package init(_ predictor: sending any SteeringPredictor) {
    self.predictor = predictor
  }

  package init(saliency predictor: sending any SaliencyPredictor) {
    self.predictor = NoPredictor()
    saliencyPredictor = predictor
  }

  package var offersSaliency: Bool { saliencyPredictor != nil }

  package func steering(for image: RGBImage) throws -> Float {
    try lock.withLock {
      if saliencyPredictor != nil { return try saliencyPredictor!.steering(for: image) }
      return try predictor.steering(for: image)
    }
  }

  /// Steering and saliency from one forward; nil saliency when the gate has no saliency predictor.
  package func steeringAndSaliency(for image: RGBImage) throws -> (steering: Float, saliency: SaliencyFrame?)
  {
    try lock.withLock {
      guard saliencyPredictor != nil else { return (try predictor.steering(for: image), nil) }
      let (steering, saliency) = try saliencyPredictor!.steeringAndSaliency(for: image)
      return (steering, saliency)
    }
  }
}

/// Stands in for the plain predictor of a saliency gate (never called).
private struct NoPredictor: SteeringPredictor {
  mutating func steering(for image: RGBImage) throws -> Float { 0 }
}
