import ArgumentParser

struct InferBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "infer", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench infer is not implemented yet") }
}
