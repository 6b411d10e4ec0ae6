import ArgumentParser

struct GemmBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "gemm", abstract: "Not implemented yet.")
  func run() throws { throw ValidationError("bench gemm is not implemented yet") }
}
