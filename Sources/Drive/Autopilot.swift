import DrivingData
import Foundation

/// What Drive did with one telemetry frame; the `Drive` command prints one line per report.
public struct FrameReport: Sendable {
  /// The Engine.IO session id of the car.
  public var session: String
  /// Normalized steering sent (-1...1).
  public var steering: Float
  /// Throttle sent (-1...1).
  public var throttle: Float
  /// Speed the car reported (mph).
  public var speed: Double
  /// From the telemetry's last byte read to the steer frame handed to the socket.
  public var latencySeconds: Double
}

/// What the autopilot sent for one frame it could use.
package struct SteerDecision: Sendable, Equatable {
  /// Normalized steering sent (-1...1).
  package var steering: Float
  /// Throttle sent (-1...1).
  package var throttle: Float
  /// Speed the car reported (mph).
  package var speed: Double
}

/// The answer to one `telemetry` event: the reply to send, and what was decided or why not.
package struct TelemetryAnswer: Sendable {
  /// The Socket.IO text frame to send (`steer`, or `manual` when the frame could not be used).
  package var reply: String
  /// Set when the reply is a `steer`.
  package var steer: SteerDecision?
  /// Why the reply is `manual`, unless the car simply is in manual mode.
  package var error: DriveError?
}

/// Turns telemetry into replies: base64 -> JPEG decode -> predictor -> PI throttle -> `steer`.
/// Shared by every connection; per-car state lives in `Autopilot.Car`.
public final class Autopilot: Sendable {
  let gate: PredictorGate
  public let setSpeed: Double
  /// Slows each car for curves (`Drive --curve-accel`); nil holds `setSpeed` as drive.py does.
  public let curveLimit: CurveSpeedLimit?
  let recorder: FrameRecorder?

  /// - Parameters:
  ///   - predictor: the steering model; called from one thread at a time.
  ///   - setSpeed: the PI controller's target in mph (the seed drove at 25; drive.py's default is 9).
  ///   - recorder: saves every received frame, off the reply path.
  ///   - curveLimit: slows for the curvature the steering implies (nil: drive.py's constant target).
  public convenience init(
    predictor: sending any SteeringPredictor, setSpeed: Double = 25, curveLimit: CurveSpeedLimit? = nil,
    recorder: FrameRecorder? = nil
  ) {
    self.init(predictors: [predictor], setSpeed: setSpeed, curveLimit: curveLimit, recorder: recorder)
  }

  /// An autopilot with a pool of predictors (copies of one model, each with its own scratch): each
  /// frame goes to a free one, so cars on different event loops predict at once. One per core
  /// suits the server's event loops. A `SequentialPredictor` whose model splits a frame across
  /// cores (`Sequential.singleImageThreads`) splits only while its frame is the only one in flight.
  /// With no predictors every frame is answered `manual`.
  public convenience init(
    predictors: sending [any SteeringPredictor], setSpeed: Double = 25, curveLimit: CurveSpeedLimit? = nil,
    recorder: FrameRecorder? = nil
  ) {
    self.init(gate: PredictorGate(predictors), setSpeed: setSpeed, curveLimit: curveLimit, recorder: recorder)
  }

  /// An autopilot whose every `steer` also carries `"saliency"`: base64 of an 8-bit grey PNG the
  /// size of the telemetry's camera frame, 255 = most salient, normalised per frame (Drive
  /// `--saliency`; docs/saliency.md). The steering comes from the same forward as the mask.
  public convenience init(
    saliencyPredictor predictor: sending any SaliencyPredictor, setSpeed: Double = 25,
    curveLimit: CurveSpeedLimit? = nil, recorder: FrameRecorder? = nil
  ) {
    self.init(saliencyPredictors: [predictor], setSpeed: setSpeed, curveLimit: curveLimit, recorder: recorder)
  }

  /// Saliency replies (as `init(saliencyPredictor:)`) from a pool of predictors (as `init(predictors:)`).
  public convenience init(
    saliencyPredictors predictors: sending [any SaliencyPredictor], setSpeed: Double = 25,
    curveLimit: CurveSpeedLimit? = nil, recorder: FrameRecorder? = nil
  ) {
    self.init(
      gate: PredictorGate(saliency: predictors), setSpeed: setSpeed, curveLimit: curveLimit,
      recorder: recorder)
  }

  private init(
    gate: PredictorGate, setSpeed: Double, curveLimit: CurveSpeedLimit?, recorder: FrameRecorder?
  ) {
    self.gate = gate
    self.setSpeed = setSpeed
    self.curveLimit = curveLimit
    self.recorder = recorder
  }

  /// Predictors in the pool.
  public var predictorCount: Int { gate.count }

  /// Whether replies carry a saliency mask.
  public var sendsSaliency: Bool { gate.offersSaliency }

  /// One car's state: its speed controller and a reusable decoder and image buffer.
  /// Confined to its session (guarded by the session's lock).
  package final class Car {
    var controller: SpeedController
    /// A simulator frame is 320 x 160 (150 KB decoded); 4 MB leaves room for larger cameras
    /// while one telemetry message cannot make the server allocate and zero 256 MB.
    let decoder = JPEGDecoder(sizeLimit: 4 << 20)
    var image = RGBImage(width: 1, height: 1)
    /// Saliency PNGs: zlib level 1, the fastest (the mask is mostly smooth; see docs/saliency.md).
    lazy var png = PNGCodec(compression: 1)
    init(setSpeed: Double, curveLimit: CurveSpeedLimit?) {
      controller = SpeedController(setSpeed: setSpeed, curveLimit: curveLimit)
    }
  }

  package func makeCar() -> Car { Car(setSpeed: setSpeed, curveLimit: curveLimit) }

  /// The reply to one `telemetry` event and what was decided. Every call returns exactly one reply:
  /// manual-mode telemetry and frames that cannot be used get `manual` (the simulator then sends
  /// the next frame) and an error describing why.
  package func respond(to arguments: [Any], car: Car) -> TelemetryAnswer {
    do {
      guard let telemetry = try Telemetry(arguments: arguments) else {
        return TelemetryAnswer(reply: SocketIOText.manual, steer: nil, error: nil)
      }
      gate.beginFrame()
      defer { gate.endFrame() }
      let jpeg = try Self.base64Decode(telemetry.imageBase64)
      do {
        // Only the band the network reads (the seed's crop: 92 of 160 rows; 15-25 us less a frame).
        try jpeg.withUnsafeBytes {
          try car.decoder.decode(
            $0, into: &car.image, rows: { [gate] in gate.frameRows(width: $0, height: $1) })
        }
      } catch {
        throw DriveError.badImage("\(error)")
      }
      let raw: Float
      var saliencyBase64: String?
      do {
        if gate.offersSaliency {
          let (value, saliency) = try gate.steeringAndSaliency(for: car.image)
          raw = value
          saliencyBase64 = try saliency.map { Data(try $0.pngData(codec: car.png)).base64EncodedString() }
        } else {
          raw = try gate.steering(for: car.image)
        }
      } catch {
        throw DriveError.predictionFailed("\(error)")
      }
      guard raw.isFinite else { throw DriveError.predictionFailed("non-finite steering \(raw)") }
      let steering = min(max(raw, -1), 1)
      let command = car.controller.update(speed: telemetry.speed, steering: Double(steering))
      let throttle = Float(min(max(command, -1), 1))
      recorder?.save(jpeg)
      let reply =
        saliencyBase64.map { SocketIOText.steer(steering: steering, throttle: throttle, saliencyBase64: $0) }
        ?? SocketIOText.steer(steering: steering, throttle: throttle)
      return TelemetryAnswer(
        reply: reply,
        steer: SteerDecision(steering: steering, throttle: throttle, speed: telemetry.speed), error: nil)
    } catch let error as DriveError {
      return TelemetryAnswer(reply: SocketIOText.manual, steer: nil, error: error)
    } catch {
      return TelemetryAnswer(reply: SocketIOText.manual, steer: nil, error: .badTelemetry("\(error)"))
    }
  }

  /// Standard alphabet; padding may be missing. Rejects anything else.
  static func base64Decode(_ text: Substring) throws(DriveError) -> Data {
    if let data = Data(base64Encoded: String(text)), !data.isEmpty { return data }
    let padded = String(text) + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
    guard text.utf8.count % 4 != 0, let data = Data(base64Encoded: padded), !data.isEmpty else {
      throw .badBase64(length: text.utf8.count)
    }
    return data
  }
}
