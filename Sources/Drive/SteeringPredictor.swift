import DrivingData
import NIOConcurrencyHelpers

/// Anything that turns one decoded front-camera frame into a steering command.
///
/// The input is the telemetry JPEG decoded to RGB (320x160 from the simulator), before any
/// crop or resize; a model applies its own `InputPipeline` (see `SequentialPredictor`). The output is normalized steering, -1...1
/// (times 25 degrees in the simulator; positive turns right). Drive calls a predictor from one
/// thread at a time, so implementations may keep scratch buffers.
public protocol SteeringPredictor {
  mutating func steering(for image: RGBImage) throws -> Float
}

/// Serializes calls into a predictor shared by every connection (one lock; the server's event
/// loops may call from several threads).
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
