import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

/// BF16 mixed-precision training end to end: it learns what FP32 learns, keeps FP32 master weights
/// that a model file stores and loads back exactly, and is refused where the CPU cannot run it.
@Suite struct BF16TrainingTests {
  static func train(_ precision: Precision) throws -> (Sequential, TrainingHistory) {
    var config = TrainerConfiguration()
    config.epochs = 25
    config.batchSize = 16
    config.learningRate = 3e-3
    config.earlyStoppingPatience = nil
    let model = try smallModel(seed: 3)
    try model.setPrecision(precision)
    let trainer = Trainer(
      model: model, training: try syntheticTask(count: 256, seed: 1),
      validation: try syntheticTask(count: 64, seed: 2), configuration: config)
    trainer.log = { _ in }
    trainer.progress = { _ in }
    return (model, try trainer.fit())
  }

  /// Same seed, data and epochs: the BF16 run's best validation loss is within 5% of the FP32
  /// run's (the target for the demo data; measured here 0.004% apart), and both learn the
  /// task (best loss under 5% of the label variance, as TrainerTests asks of FP32).
  @Test(.enabled(if: BF16.isAvailable))
  func tracksTheFP32Run() throws {
    let (_, fp) = try Self.train(.fp32)
    let (model, bf) = try Self.train(.bf16)
    let val = try syntheticTask(count: 64, seed: 2)
    let mean = val.labels.reduce(0, +) / 64
    let variance = val.labels.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 64
    let fpBest = try #require(fp.bestLoss)
    let bfBest = try #require(bf.bestLoss)
    print("BF16TrainingTests: best val loss fp32 \(fpBest), bf16 \(bfBest), label variance \(variance)")
    #expect(fpBest < 0.05 * variance)
    #expect(bfBest < 0.05 * variance)
    #expect(abs(bfBest - fpBest) <= 0.05 * fpBest, "bf16 \(bfBest) vs fp32 \(fpBest)")
    #expect(model.precision == .bf16)
  }

  /// A model trained in BF16 saves FP32 weights (not bfloat16-rounded ones) that load back bit for
  /// bit into an FP32 model.
  @Test(.enabled(if: BF16.isAvailable))
  func savesFP32Weights() throws {
    let (model, _) = try Self.train(.bf16)
    let weights = model.parameters.snapshot()
    // Master weights are FP32: most have bits below bfloat16's 16.
    #expect(weights.filter { $0.bitPattern & 0xffff != 0 }.count > weights.count / 2)
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bf16-save")
    defer { RecordingBuilder.remove(dir) }
    let path = dir + "/model.h5"
    try KerasModelFile.save(model, to: path)
    let loaded = try KerasModelFile.load(path: path)
    #expect(loaded.model.precision == .fp32)
    #expect(loaded.model.parameters.snapshot().map(\.bitPattern) == weights.map(\.bitPattern))
  }

  @Test func refusesBF16WithoutTheInstructions() throws {
    let model = try smallModel(seed: 1)
    #expect(throws: ConvNetError.self) { try model.setPrecision(.bf16, bf16Available: false) }
    #expect(model.precision == .fp32)
    #expect(model.layers.compactMap { ($0 as? Conv2D)?.precision }.allSatisfy { $0 == .fp32 })
    #expect(model.layers.compactMap { ($0 as? Dense)?.precision }.allSatisfy { $0 == .fp32 })
    try model.setPrecision(.fp32, bf16Available: false)  // FP32 is always fine
  }

  /// `BC_CONV_KERNELS=nobf16` makes a BF16 machine behave as one without: both command-line tools
  /// refuse `--precision bf16` with the reason, before doing any work. On a CPU without AVX-512
  /// BF16 the reason is the CPU.
  @Test(arguments: [
    ("BenchCommand", ["train", "--precision", "bf16", "--seconds", "0.1"]),
    ("TrainNvidiaCommand", ["--data", "/nonexistent", "--precision", "bf16"]),
  ])
  func commandsRefuseBF16WhenDisabled(executable: String, arguments: [String]) throws {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent(executable).path
    try #require(FileManager.default.isExecutableFile(atPath: path), "\(executable) not built at \(path)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["BC_CONV_KERNELS"] = "nobf16"
    process.environment = environment
    let err = Pipe()
    process.standardOutput = Pipe()
    process.standardError = err
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    let reason = BF16.cpuSupportsKernels ? "BC_CONV_KERNELS=nobf16" : "this CPU lacks AVX-512 BF16"
    #expect(text.contains("bf16") && text.contains(reason), "\(text)")
  }
}
