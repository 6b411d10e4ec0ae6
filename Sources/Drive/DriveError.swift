// The errors Drive reports at its I/O boundary: wire protocol, images, files.

/// Why Drive refused a message, a frame or a file. Every case names what was wrong.
public enum DriveError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An Engine.IO packet that is empty or starts with an unknown type digit.
  case malformedEnginePacket(String)
  /// A polling payload that does not follow the EIO3 `<len>:<packet>` or EIO4 `\u{1e}` framing.
  case malformedPayload(String)
  /// A Socket.IO packet whose type, namespace, ack id or JSON cannot be read.
  case malformedSocketPacket(String)
  /// A telemetry event without a usable field (`image`, `speed`, ...).
  case badTelemetry(String)
  /// The telemetry image is not valid base64.
  case badBase64(length: Int)
  /// The telemetry image is not a JPEG the decoder accepts.
  case badImage(String)
  /// The predictor failed or returned a non-finite value.
  case predictionFailed(String)
  /// A command-line option that cannot be understood (`--resize 128x`, `--crop 43`).
  case invalidOption(String)
  /// A file or folder Drive could not read or write.
  case io(path: String, reason: String)
  /// The model file cannot be loaded (yet).
  case modelUnavailable(String)

  public var description: String {
    switch self {
    case .malformedEnginePacket(let s): "malformed Engine.IO packet: \(s)"
    case .malformedPayload(let s): "malformed polling payload: \(s)"
    case .malformedSocketPacket(let s): "malformed Socket.IO packet: \(s)"
    case .badTelemetry(let s): "bad telemetry: \(s)"
    case .badBase64(let n): "telemetry image is not valid base64 (\(n) characters)"
    case .badImage(let s): "telemetry image cannot be decoded: \(s)"
    case .predictionFailed(let s): "prediction failed: \(s)"
    case .invalidOption(let s): "invalid option: \(s)"
    case .io(let path, let reason): "\(path): \(reason)"
    case .modelUnavailable(let s): "model unavailable: \(s)"
    }
  }
}
