// The Simulator's errors at its I/O boundary: track files, recordings, the protocol client.

/// What can go wrong when the simulator reads a track, writes a recording or talks to a server.
public enum SimulatorError: Error, CustomStringConvertible, Sendable, Equatable {
  /// A track file could not be read or does not describe a usable track.
  case invalidTrack(String)
  /// An unknown built-in track name.
  case unknownTrack(String)
  /// A file or folder could not be written.
  case io(String)
  /// The connection to the driving server failed or closed.
  case connection(String)
  /// No telemetry chain is left alive: the server stopped answering (or answered wrongly).
  case protocolStalled(frames: Int)
  /// An in-process steering model failed or answered nonsense.
  case model(String)

  public var description: String {
    switch self {
    case .invalidTrack(let why): "invalid track: \(why)"
    case .unknownTrack(let name):
      "unknown track '\(name)' (built in: \(TrackLibrary.names.joined(separator: ", ")))"
    case .io(let why): "I/O error: \(why)"
    case .connection(let why): "connection: \(why)"
    case .model(let why): "steering model: \(why)"
    case .protocolStalled(let frames):
      "protocol stalled after \(frames) frames: no telemetry chain is alive (the server stopped replying "
        + "or replied with something the Unity client cannot parse)"
    }
  }
}
