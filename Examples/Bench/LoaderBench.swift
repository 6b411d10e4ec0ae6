import ArgumentParser

struct LoaderBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "loader", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench loader is not implemented yet") }
}
