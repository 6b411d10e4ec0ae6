import ArgumentParser

struct TrainBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench train is not implemented yet") }
}
