import ArgumentParser
import Simulator

struct DriveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "drive", abstract: "Autonomous mode (in progress).")
  func run() throws { throw ValidationError("drive is not implemented yet") }
}
