import ArgumentParser
import Foundation
import Simulator

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract:
      "Run the simulator in real time behind a live web page: drive and record by keyboard or gamepad, or watch a Drive server drive."
  )

  @Option(help: "Built-in track to start on (lake, jungle); the page can switch.")
  var track = "lake"

  @Option(help: "Address to serve the page on; anything but loopback also accepts remote connections.")
  var host = "127.0.0.1"

  @Option(help: "Port of the page.")
  var port = 8080

  @Option(help: "Drive server of autonomous mode, HOST:PORT.")
  var driveServer = "127.0.0.1:4567"

  @Option(help: "Recording folder (driving_log.csv and IMG/ are appended to, as with record --output).")
  var output = "recording"

  @Option(help: "Camera frames per second sent to the page, at most.")
  var fps = 20.0

  @Flag(help: "Start in autonomous mode.")
  var autonomous = false

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
    guard fps >= 1, fps <= 60 else { throw ValidationError("--fps must be in 1...60") }
    guard parseDriveServer() != nil else { throw ValidationError("--drive-server must be HOST:PORT") }
  }

  private func parseDriveServer() -> (String, Int)? {
    guard let colon = driveServer.lastIndex(of: ":"),
      let port = Int(driveServer[driveServer.index(after: colon)...]),
      (1...65535).contains(port), colon != driveServer.startIndex
    else { return nil }
    return (String(driveServer[..<colon]), port)
  }

  func run() throws {
    var options = LiveOptions()
    options.track = track
    options.host = host
    options.port = port
    options.allowRemote = !(host == "127.0.0.1" || host == "::1" || host == "localhost")
    if let server = parseDriveServer() {
      options.driveHost = server.0
      options.drivePort = server.1
    }
    options.recordingDirectory = output
    options.limits.maxFramesPerSecond = fps
    options.startAutonomous = autonomous
    let session = try LiveSession(options: options)
    var banner = "serving \(track) at \(session.url)  (Drive server for autonomous mode: \(driveServer))\n"
    if options.allowRemote {
      banner += "warning: listening on \(host): other machines can drive and record\n"
    }
    // Unbuffered: `make demo` and scripts read the URL from a pipe while this keeps running.
    FileHandle.standardOutput.write(Data(banner.utf8))
    session.run()
  }
}
