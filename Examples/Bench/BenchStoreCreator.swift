import DrivingData
import Foundation
import SampleStore
import TensorCore

/// Writes a sample store of pseudo-random images for `Bench loader`, fast enough for stores larger
/// than RAM: images are cut at varying offsets from one 64 MB block of random bytes (a memcpy each,
/// not a random number per byte) and appended 2,048 at a time. Resumes an interrupted creation.
struct BenchStoreCreator {
  var path: String
  var images: Int
  var side: Int
  var chunkImages: Int
  var imagesPerAppend = 2048

  func create() throws {
    let shape = [side, side, 3]
    let imageBytes = shape.reduce(1, *)
    let writer = try SampleStoreWriter(
      path: path, imageShape: shape, splits: ["train"], chunkImages: chunkImages,
      metadata: SampleStoreMetadata(
        preprocessingJSON: "{\"random\": true}", seed: 1, sourceFingerprint: "bench-random"))
    var rng = SplitMix64(seed: 1)
    var block = [UInt8](repeating: 0, count: 64 << 20)
    block.withUnsafeMutableBytes { raw in
      let words = raw.bindMemory(to: UInt64.self)
      for index in words.indices { words[index] = rng.next() }
    }
    let began = Date()
    var start = try writer.resumePoint(for: "train")
    let resumedAt = start
    var pixels = [UInt8](repeating: 0, count: imagesPerAppend * imageBytes)
    while start < images {
      let n = min(imagesPerAppend, images - start)
      pixels.withUnsafeMutableBytes { target in
        block.withUnsafeBytes { source in
          for k in 0..<n {
            let offset = rng.next(below: source.count - imageBytes)
            (target.baseAddress! + k * imageBytes).copyMemory(
              from: source.baseAddress! + offset, byteCount: imageBytes)
          }
        }
      }
      let steering = (0..<n).map { _ in Float(rng.next(below: 2001) - 1000) / 1000 }
      let provenance = (start..<(start + n)).map {
        SampleProvenance(recording: 0, row: Int32($0), camera: .center, flipped: false)
      }
      try writer.append(
        SampleBatch(
          images: n == imagesPerAppend ? pixels : Array(pixels.prefix(n * imageBytes)), labels: steering,
          provenance: provenance,
          height: side, width: side, channels: 3),
        to: "train")
      start += n
      let elapsed = max(Date().timeIntervalSince(began), 1e-9)
      let rate = Double(start - resumedAt) / elapsed
      FileHandle.standardError.write(
        Data(
          String(
            format: "\rcreating %@: %d/%d images, %.0f img/s (%.0f MB/s), ETA %.0f s ", path, start, images,
            rate, rate * Double(imageBytes) / 1e6, Double(images - start) / rate
          ).utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    try writer.finish()
  }
}
