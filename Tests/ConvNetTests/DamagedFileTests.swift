// Damaged weights in files we wrote are reported, not predicted with: model files and checkpoints
// carry a checksum of their contents (docs/damaged-files.md).
import Foundation
import H5Store
import TestSupport
import Testing

@testable import ConvNet

@Suite struct DamagedFileTests {
  @Test func savedModelCarriesAChecksumThatCatchesChangedWeights() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/model.h5"
    let (model, adam, _) = try KerasFixtures.trainedSmallModel(steps: 1)
    try KerasModelFile.save(model, to: path, optimizer: adam)
    _ = try KerasModelFile.load(path: path)  // intact: loads

    // One weight changed in place, as a flipped byte on disk would.
    let file = try H5File(opening: path, mode: .readWrite)
    let root = try file.root()
    #expect(try root.stringAttribute(KerasModelFile.weightsChecksumAttribute).count == 16)
    let weights = try root.group("model_weights")
    var target: H5Dataset?
    for layer in try weights.memberNames() {
      if let first = try weights.group(layer).stringArrayAttribute("weight_names").first {
        target = try weights.group(layer).dataset(first)
        break
      }
    }
    let dataset = try #require(target)
    var values: [Float] = try dataset.read()
    values[0] += 1
    try dataset.write(values)
    try file.close()

    #expect {
      _ = try KerasModelFile.load(path: path)
    } throws: { error in
      guard case ModelFileError.damaged(_, let detail) = error else { return false }
      return detail.contains("checksum")
    }
  }

  @Test func checkpointChecksumCatchesChangedState() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/run.checkpoint.h5"
    let (model, adam, _) = try KerasFixtures.trainedSmallModel(steps: 1)
    let state = TrainerState()
    try TrainingCheckpoint.save(to: path, model: model, optimizer: adam, state: state, identity: "run")
    let (fresh, freshAdam, _) = try KerasFixtures.trainedSmallModel(steps: 0)
    _ = try TrainingCheckpoint.restore(from: path, model: fresh, optimizer: freshAdam, identity: "run")

    let file = try H5File(opening: path, mode: .readWrite)
    let slot = try file.root().dataset("slot_m")
    var values: [Float] = try slot.read()
    values[values.count / 2] = -values[values.count / 2] + 0.5
    try slot.write(values)
    try file.close()
    #expect {
      _ = try TrainingCheckpoint.restore(from: path, model: fresh, optimizer: freshAdam, identity: "run")
    } throws: { error in "\(error)".contains("do not match their checksum") }
  }

  @Test func foreignFilesWithoutAChecksumStillLoad() throws {
    // Keras's files have no checksum: they load as before (flipped weights there are undetectable).
    let loaded = try KerasModelFile.load(path: KerasFixtures.path("keras_2_2_4.h5"))
    #expect(!loaded.writtenByBehavioralCloning)
  }
}
