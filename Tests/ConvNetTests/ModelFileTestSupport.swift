// Shared helpers for the ModelFile*Tests: fixture paths, expected-output files, forward passes.
import Foundation
import H5Store
import Testing
@testable import ConvNet
@testable import TensorCore

enum KerasFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/keras").path

  static func path(_ name: String) -> String { "\(directory)/\(name)" }

  /// `<name>.expected.h5`: uint8 inputs (N, H, W, 3) and Python's outputs (N, 1).
  static func expected(_ name: String) throws -> (inputs: [UInt8], shape: [Int], outputs: [Float]) {
    let file = try H5File(opening: path("\(name).expected.h5"))
    defer { try? file.close() }
    let root = try file.root()
    let inputs = try root.dataset("inputs")
    return (try inputs.read(as: UInt8.self), try inputs.shape(), try root.dataset("outputs").read(as: Float.self))
  }

  /// Runs `model` on uint8 NHWC images, one output per image.
  static func predict(_ model: Sequential, _ images: [UInt8], count: Int) throws -> [Float] {
    let per = images.count / count
    return try (0..<count).map { i in
      try Array(images[(i * per)..<((i + 1) * per)]).withUnsafeBufferPointer { try model.predict(image: $0) }
    }
  }

  static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "bc-modelfile-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
