import Foundation
import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

/// A learnable task: 8x8 grey images whose label is the brightness difference of left and right halves.
func syntheticTask(count: Int, seed: UInt64) throws -> ArrayBatchSource {
  var g = SplitMix64(seed: seed)
  var images = [UInt8]()
  var labels = [Float]()
  for _ in 0..<count {
    let left = g.nextUnitFloat()
    let right = g.nextUnitFloat()
    var diff = 0.0
    for _ in 0..<8 {
      for x in 0..<8 {
        let base = x < 4 ? left : right
        let v = UInt8(max(0, min(255, (base * 200 + g.nextFloat(in: 0, 55)).rounded())))
        images.append(v)
        diff += x < 4 ? Double(v) : -Double(v)
      }
    }
    labels.append(Float(diff / (32 * 255)))
  }
  return try ArrayBatchSource(images: images, labels: labels, sampleShape: [8, 8, 1], seed: seed)
}

func smallModel(seed: UInt64) throws -> Sequential {
  try Sequential(
    inputShape: [8, 8, 1],
    layers: [
      Rescaling(scale: 1 / 127.5, offset: -1),
      Conv2D(
        inputChannels: 1, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), padding: .same,
        activation: .elu),
      Flatten(),
      Dense(inputCount: 64, outputCount: 8, activation: .elu),
      Dense(inputCount: 8, outputCount: 1),
    ], seed: seed, threads: 2)
}

@Suite struct TrainerTests {
  @Test func learnsASyntheticRegression() throws {
    let train = try syntheticTask(count: 256, seed: 1)
    let val = try syntheticTask(count: 64, seed: 2)
    let labelVariance = val.labels.map { $0 * $0 }.reduce(0, +) / 64 - pow(val.labels.reduce(0, +) / 64, 2)
    var config = TrainerConfiguration()
    config.epochs = 25
    config.batchSize = 16
    config.learningRate = 3e-3
    let trainer = Trainer(
      model: try smallModel(seed: 3), training: train, validation: val, configuration: config)
    trainer.log = { _ in }
    trainer.progress = { _ in }
    var improvements = 0
    trainer.onImprovement = { _, _, _ in improvements += 1 }
    let h = try trainer.fit()
    let best = try #require(h.bestLoss)
    #expect(best < 0.05 * labelVariance, "best val \(best), label variance \(labelVariance)")
    #expect(improvements >= 3)
    // Restored weights are the best epoch's: evaluating again gives the best loss.
    #expect(abs(try trainer.evaluate(val).loss - best) <= 1e-6 + 1e-4 * best)
  }

  @Test func seedMakesARunReproducible() throws {
    func run() throws -> TrainingHistory {
      var config = TrainerConfiguration()
      config.epochs = 2
      config.batchSize = 16
      let t = Trainer(
        model: try smallModel(seed: 9), training: try syntheticTask(count: 64, seed: 4),
        validation: try syntheticTask(count: 32, seed: 5), configuration: config)
      t.log = { _ in }
      t.progress = { _ in }
      return try t.fit()
    }
    let a = try run()
    let b = try run()
    #expect(a.records.map(\.loss) == b.records.map(\.loss))
    #expect(a.records.map(\.valLoss) == b.records.map(\.valLoss))
  }

  @Test func collapseIsRolledBackWithALowerLearningRate() throws {
    // A learning rate of 5 makes Adam blow the weights up after the first epoch.
    var config = TrainerConfiguration()
    config.epochs = 4
    config.batchSize = 16
    config.learningRate = 1e-3
    config.earlyStoppingPatience = nil
    let model = try smallModel(seed: 3)
    let optimizer = Adam()
    let trainer = Trainer(
      model: model, optimizer: optimizer, training: try syntheticTask(count: 128, seed: 1),
      validation: try syntheticTask(count: 64, seed: 2), configuration: config)
    var lines: [String] = []
    trainer.log = { lines.append($0) }
    trainer.progress = { _ in }
    trainer.onImprovement = { _, opt, record in if record.epoch == 1 { opt.learningRate = 5 } }
    let h = try trainer.fit()
    let rollback = try #require(h.records.first { $0.event?.hasPrefix("rollback") == true })
    #expect(lines.contains { $0.contains("collapse guard") })
    #expect(h.bestEpoch != rollback.epoch)
    #expect(optimizer.learningRate < 5)
    // The model ends on finite, best weights.
    #expect(model.parameters.snapshot().allSatisfy { $0.isFinite })
  }

  @Test func divergenceInTheFirstEpochRestoresTheInitialWeights() throws {
    var config = TrainerConfiguration()
    config.epochs = 6
    config.batchSize = 16
    config.learningRate = 1e20  // SGD at this rate overflows to inf within a step or two
    config.maxRollbacks = 2
    let model = try smallModel(seed: 3)
    let initial = model.parameters.snapshot()
    let trainer = Trainer(
      model: model, optimizer: SGD(), training: try syntheticTask(count: 64, seed: 1),
      validation: try syntheticTask(count: 32, seed: 2), configuration: config)
    trainer.log = { _ in }
    trainer.progress = { _ in }
    let h = try trainer.fit()
    #expect(h.records.count == 3)
    #expect(h.records.allSatisfy { $0.event?.contains("non-finite loss; restored initial weights") == true })
    #expect(h.records.map(\.learningRate).allSatisfy { !$0.isNaN })
    #expect(trainer.optimizer.learningRate == config.learningRate / 8)
    #expect(model.parameters.snapshot() == initial)
    #expect(h.bestEpoch == nil)
  }

  @Test func historyIsSavedAsCSVAndJSON() throws {
    var h = TrainingHistory()
    h.records = [
      EpochRecord(
        epoch: 1, loss: 0.5, valLoss: 0.4, learningRate: 1e-3, seconds: 2, imagesPerSecond: 100,
        predictionStd: 0.1, event: "best")
    ]
    h.bestEpoch = 1
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "trainer-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try h.write(
      csvTo: dir.appendingPathComponent("history.csv"), jsonTo: dir.appendingPathComponent("history.json"))
    let csv = try String(contentsOf: dir.appendingPathComponent("history.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("epoch,loss,val_loss"))
    #expect(csv.contains("1,0.5,0.4,"))
    let back = try JSONDecoder().decode(
      TrainingHistory.self, from: Data(contentsOf: dir.appendingPathComponent("history.json")))
    #expect(back == h)
    #expect(throws: ConvNetError.self) {
      try h.write(csvTo: URL(fileURLWithPath: "/nonexistent/dir/h.csv"), jsonTo: dir)
    }
  }

  @Test func progressBarLooksLikeKeras() {
    #expect(progressBar(step: 12, total: 100, width: 10) == " 12/100 [>.........]")
    #expect(progressBar(step: 100, total: 100, width: 10) == "100/100 [==========]")
    #expect(clock(75) == "1:15")
  }
}

@Suite struct HistoryChartTests {
  @Test func chartDrawsBothCurvesAndMarksRollbacks() {
    var h = TrainingHistory()
    h.records = [
      EpochRecord(
        epoch: 1, loss: 0.1, valLoss: 0.08, learningRate: 1e-3, seconds: 1, imagesPerSecond: 1,
        predictionStd: 0.1, event: "best"),
      EpochRecord(
        epoch: 2, loss: 0.5, valLoss: 0.9, learningRate: 1e-3, seconds: 1, imagesPerSecond: 1,
        predictionStd: 0.1, event: "rollback: spike"),
    ]
    h.bestEpoch = 1
    h.bestLoss = 0.08
    let svg = h.svg()
    #expect(svg.hasPrefix("<svg"))
    #expect(svg.components(separatedBy: "<path").count == 3)
    #expect(svg.contains("rollback"))
    #expect(svg.hasSuffix("</svg>\n"))
  }
}
