import ArgumentParser

struct DecodeBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "decode", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench decode is not implemented yet") }
}
