import ArgumentParser
import ConvNet
import Foundation
import ModelFile

// How fast model files are written: the seed model saved over and over as `model.h5` (Keras
// format, with Adam state and input pipeline) and as a training checkpoint, alternately, each to a
// temporary file renamed over the last. Every save writes the same bytes of weights, so the kill
// harness (Scripts/kill-harness.py) SIGKILLs this at random moments and checks that both files
// still load and hold exactly those weights.
struct SaveBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "save", abstract: "Saves of model.h5 and of a training checkpoint per second.")

  @Option(help: "The model file to write again and again.") var output = "bench-save.h5"
  @Option(help: "The checkpoint to write again and again.") var checkpoint = "bench-save.checkpoint.h5"
  @Option(help: "Seconds to run.") var seconds = 5.0

  func run() throws {
    let model = try Sequential.seedModel(seed: 1, threads: 1)
    let adam = Adam()
    var state = TrainerState()
    state.epochsDone = 1
    state.bestWeights = model.parameters.snapshot()
    let start = DispatchTime.now().uptimeNanoseconds
    var saves = 0
    while Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9 {
      if saves % 2 == 0 {
        try KerasModelFile.save(model, to: output, pipeline: .seed, optimizer: adam)
      } else {
        try TrainingCheckpoint.save(
          to: checkpoint, model: model, optimizer: adam, state: state, identity: "bench-save")
      }
      saves += 1
      FileHandle.standardOutput.write(Data("saved \(saves)\n".utf8))  // unbuffered: the harness waits on it
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print("save per s: \(String(format: "%.1f", Double(saves) / elapsed))")
  }
}
