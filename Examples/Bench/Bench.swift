import ArgumentParser

// `Bench <area>`: one subcommand per area, each in its own file, each ending with one line
// `<name>: <value>` that Benchmarks/run.sh reads and sets beside the peer frameworks' numbers.
@main
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Benchmarks of BehavioralCloning's hot paths.",
    subcommands: [
      GemmBench.self, ConvBench.self, TrainBench.self, InferBench.self, LoaderBench.self, DecodeBench.self,
      DriveBench.self, RenderBench.self, SaveBench.self, PeakBench.self, SaliencyBench.self,
    ])
}
