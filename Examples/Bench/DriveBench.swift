import ArgumentParser

struct DriveBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "drive", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench drive is not implemented yet") }
}
