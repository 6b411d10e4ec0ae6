import DrivingData
import NIOConcurrencyHelpers

/// Anything that turns one decoded front-camera frame into a steering command.
///
/// The input is the telemetry JPEG decoded to RGB (320x160 from the simulator), before any
/// resize; a model applies its own `InputPipeline`. The output is normalized steering, -1...1
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

/// A model's forward pass behind its input pipeline: the seam where a loaded network plugs in.
/// `forward` receives the pipeline's output, `(height, width, 3)` row-major Float32.
public struct PipelinePredictor: SteeringPredictor {
  public var pipeline: InputPipeline
  private var forward: (_ input: [Float], _ height: Int, _ width: Int) throws -> Float

  public init(
    pipeline: InputPipeline,
    forward: @escaping (_ input: [Float], _ height: Int, _ width: Int) throws -> Float
  ) {
    self.pipeline = pipeline
    self.forward = forward
  }

  public mutating func steering(for image: RGBImage) throws -> Float {
    let prepared = try pipeline.prepare(image)
    return try forward(prepared.values, prepared.height, prepared.width)
  }
}
