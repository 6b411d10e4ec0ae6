import Foundation

/// One telemetry event from the simulator, parsed leniently.
/// Units are the simulator's: `steeringAngle` in degrees (-25...25), `speed` in mph.
public struct Telemetry: Sendable {
  public var steeringAngle: Double
  public var throttle: Double
  public var speed: Double
  /// The base64 text of the front camera JPEG (320x160 from the simulator).
  public var imageBase64: Substring

  /// Reads the event's first argument. Returns nil for the manual-mode forms
  /// (`["telemetry",null]` or `["telemetry"]`); throws for anything else that is not telemetry.
  package init?(arguments: [Any]) throws(DriveError) {
    guard let first = arguments.first, !(first is NSNull) else { return nil }
    guard let fields = first as? [String: Any] else {
      throw .badTelemetry("expected a JSON object, got \(type(of: first))")
    }
    guard let image = fields["image"] as? String else { throw .badTelemetry("missing image") }
    imageBase64 = Substring(image)
    speed = try Self.number(fields["speed"], field: "speed", required: true)
    steeringAngle = try Self.number(fields["steering_angle"], field: "steering_angle", required: false)
    throttle = try Self.number(fields["throttle"], field: "throttle", required: false)
  }

  /// Numbers arrive as strings in the OS locale (`"9.0412"`, `"0,0000"`, `"-0.0000"`); generic
  /// clients may send JSON numbers.
  package static func number(_ value: Any?, field: String, required: Bool) throws(DriveError) -> Double {
    if let value, type(of: value) == Bool.self {
      throw .badTelemetry("\(field) is a boolean")
    }
    switch value {
    case let d as Double:
      return d
    case let i as Int:
      return Double(i)
    case let n as NSNumber:
      return n.doubleValue
    case let s as String:
      if let v = parseLenient(s) { return v }
      throw .badTelemetry("\(field) is not a number: \(EnginePacket.preview(s))")
    case nil, is NSNull:
      if required { throw .badTelemetry("missing \(field)") }
      return 0
    default:
      throw .badTelemetry("\(field) has an unexpected JSON type")
    }
  }

  /// `"1.5"`, `"1,5"` (a comma decimal separator when there is no dot), surrounding spaces.
  package static func parseLenient(_ text: String) -> Double? {
    var s = text.trimmingCharacters(in: .whitespaces)
    if !s.contains("."), s.filter({ $0 == "," }).count == 1 {
      s = s.replacingOccurrences(of: ",", with: ".")
    }
    guard let v = Double(s), v.isFinite else { return nil }
    return v
  }
}
