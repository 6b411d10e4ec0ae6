// A steering model driving inside the simulator's process, as a `Drive` server would drive it over
// the socket: the frame goes through the same JPEG (quality 75, as the Unity client encodes it),
// the model's steering is clamped to -1...1, and drive.py's PI controller sets the throttle.
import DrivingData

/// Drives with any `SteeringPredictor` in process (DAgger rounds, tests), without a socket.
public final class PredictorController: SteeringController {
  public let wantsImages = true
  private var predictor: any SteeringPredictor
  private var speed: SpeedController
  private let encoder = JPEGEncoder(quality: 75)
  private let decoder = JPEGDecoder(sizeLimit: 4 << 20)
  private var image = RGBImage(width: 1, height: 1)

  /// - Parameters:
  ///   - setSpeed: the PI controller's target, mph (`Drive --speed`).
  ///   - curveLimit: slows for curves as `Drive --curve-accel` does; nil holds `setSpeed`.
  public init(predictor: any SteeringPredictor, setSpeed: Double, curveLimit: CurveSpeedLimit? = nil) {
    self.predictor = predictor
    speed = SpeedController(setSpeed: setSpeed, curveLimit: curveLimit)
  }

  public func controls(after observation: Observation) throws -> Controls? {
    guard let frame = observation.frame else { throw SimulatorError.model("no frame to predict from") }
    // What the server sees is the decoded JPEG, not the rendered pixels.
    let jpeg = try encoder.encode(frame)
    try jpeg.withUnsafeBytes { try decoder.decode($0, into: &image) }
    let raw: Float
    do { raw = try predictor.steering(for: image) } catch { throw SimulatorError.model("\(error)") }
    guard raw.isFinite else { throw SimulatorError.model("non-finite steering \(raw)") }
    // Telemetry carries the speed to 4 decimals; the PI controller sees what the server would.
    let mph = (observation.state.speedMph * 10_000).rounded() / 10_000
    let steering = Double(min(max(raw, -1), 1))
    let throttle = min(max(speed.update(speed: mph, steering: steering), -1), 1)
    return Controls(steering: steering, throttle: throttle)
  }
}
