import ArgumentParser

struct RenderBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "render", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench render is not implemented yet") }
}
