// Damaged weights in files we wrote are reported, not predicted with: model files and checkpoints
// carry a checksum of their contents (docs/damaged-files.md).
import Foundation
import HDF5
import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile

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

  @Test func savedModelCarriesAChecksumThatCatchesAChangedConfig() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/model.h5"
    let (model, _, _) = try KerasFixtures.trainedSmallModel(steps: 1)
    try KerasModelFile.save(model, to: path)
    let file = try H5File(opening: path, mode: .readWrite)
    let root = try file.root()
    // Still valid JSON describing the same model: only the checksum can tell.
    try root.setAttribute("model_config", string: try root.stringAttribute("model_config") + " ")
    try file.close()
    #expect {
      _ = try KerasModelFile.load(path: path)
    } throws: { error in
      guard case ModelFileError.damaged(_, let detail) = error else { return false }
      return detail.contains("model_config")
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

/// The containment, shown with the built `Predict` (skipped when it is not built): a corpus file
/// (tfkeras_2_21/flip-attr-0055) on which libhdf5 dies by SIGSEGV is a clean error with isolation.
@Suite struct IsolatedReadTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let crashing = fixtures.appendingPathComponent("damaged/crashes_libhdf5.h5").path
  static let image = fixtures.deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("DriveTests/Fixtures/camera_320x160.jpg").path

  static var predict: String? {
    guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
      return nil
    }
    var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
    if dir.path.hasSuffix(".xctest/Contents/MacOS") { dir = dir.deletingLastPathComponent() }
    let path = dir.appendingPathComponent("PredictCommand").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  func run(_ arguments: [String]) throws -> (Process.TerminationReason, Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.predict!)
    process.arguments = arguments
    process.environment = Sanitizers.realSignals()
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationReason, process.terminationStatus, text)
  }

  @Test(.enabled(if: predict != nil)) func aFileThatCrashesLibhdf5IsACleanError() throws {
    let (reason, status, text) = try run([Self.crashing, Self.image])
    #expect(reason == .exit && status == 1)
    #expect(text.contains("is damaged: reading it crashed libhdf5 (signal 11)"))
  }

  /// A program whose file was replaced or removed while it ran (a rebuild, an upgrade) still reads
  /// model files in a child: the child is the running image, not whatever the path now holds.
  @Test(.enabled(if: predict != nil)) func aProgramWhoseFileWasRemovedStillReadsInAChild() throws {
    let dir = try KerasFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let copy = dir + "/PredictCommand"
    try FileManager.default.copyItem(atPath: Self.predict!, toPath: copy)
    // Run the copy through an open descriptor after unlinking it (fexecve's way), so the program
    // is already gone when it starts: its /proc/self/exe reads "<copy> (deleted)".
    let handle = try #require(FileHandle(forReadingAtPath: copy))
    defer { try? handle.close() }
    try FileManager.default.removeItem(atPath: copy)
    let model = Self.fixtures.appendingPathComponent("keras/ours_small.h5").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/\(getpid())/fd/\(handle.fileDescriptor)")
    process.arguments = [model, Self.image]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    let steering = printed.split(separator: "\t").last.flatMap {
      Float($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    #expect(steering?.isFinite == true, "\(printed)")
  }

  @Test(.enabled(if: predict != nil)) func withoutIsolationTheSameFileKillsTheProcess() throws {
    let (reason, status, _) = try run([Self.crashing, Self.image, "--no-isolation"])
    #expect(reason == .uncaughtSignal && status == SIGSEGV)
  }
}
