import ArgumentParser
import Foundation
import H5Store
import TensorCore

// `Bench loader`: streams shuffled batches from a sample store, as the trainer would, and reports
// images per second, how long the consumer waited, and the process's peak resident memory.
// Creates the store (random images) when it does not exist. Compare with Benchmarks/loader_peer.py.
struct LoaderBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loader", abstract: "Shuffled batches from an HDF5 sample store (creates one if missing).")

  @Option(help: "Sample store to read (created with random images if missing).") var store: String
  @Option(help: "Images to create when the store does not exist.") var images = 20_000
  @Option(help: "Seconds to stream.") var seconds = 20.0
  @Option(help: "Batch size.") var batchSize = 32
  @Option(help: "Images per chunk when creating the store.") var chunkImages = 256
  @Option(help: "Shuffle buffer, in chunks.") var bufferChunks = 16
  @Option(help: "Chunks read ahead.") var prefetchChunks = 4
  @Option(help: "Reader threads.") var readers = 2
  @Option(help: "Image side when creating the store (images are side x side x 3).") var side = 128

  func run() throws {
    if !FileManager.default.fileExists(atPath: store) {
      try createStore()
    }
    let sampleStore = try SampleStore(path: store)
    let count = try sampleStore.count(of: "train")
    let imageMB = Double(count * sampleStore.imageBytes) / 1_048_576
    print(
      "store: \(store), \(count) images \(sampleStore.imageShape), chunks of \(sampleStore.chunkImages), \(String(format: "%.0f", imageMB)) MB"
    )
    let loader = try ShuffledLoader(
      store: sampleStore, split: "train", seed: 1, shuffleBufferChunks: bufferChunks,
      prefetchChunks: prefetchChunks,
      readerThreads: readers)
    print(
      String(
        format: "loader memory bound: %.1f MB",
        Double(loader.memoryBoundBytes(batchSize: batchSize)) / 1_048_576))
    let quality = ShuffleQuality(order: loader.epochOrder(0), chunkImages: sampleStore.chunkImages)
    print("shuffle quality (epoch 0): \(quality.summary)")
    let start = Date()
    var delivered = 0
    var checksum: UInt64 = 0
    var epoch = 0
    streaming: while true {
      let stream = try loader.makeEpoch(epoch, batchSize: batchSize)
      while let batch = try stream.next() {
        delivered += batch.count
        checksum &+= UInt64(batch.images[batch.images.count / 2]) &+ UInt64(batch.steering[0].bitPattern)
        if Date().timeIntervalSince(start) >= seconds {
          stream.cancel()
          break streaming
        }
      }
      epoch += 1
    }
    let elapsed = Date().timeIntervalSince(start)
    let stats = loader.statistics
    print("epochs started: \(epoch + 1), \(stats.summary) (checksum \(checksum % 1000))")
    print(String(format: "peak RSS MB: %.0f", peakResidentMB()))
    print(String(format: "loader img/s: %.0f", Double(delivered) / elapsed))
  }

  private func createStore() throws {
    let shape = [side, side, 3]
    let writer = try SampleStoreWriter(
      path: store, imageShape: shape, splits: ["train"], chunkImages: chunkImages,
      metadata: SampleStoreMetadata(
        preprocessingJSON: "{\"random\": true}", seed: 1, sourceFingerprint: "bench-random"))
    var start = try writer.resumePoint(for: "train")
    var rng = H5Store.SplitMix64(seed: UInt64(start) &+ 1)
    let bytes = shape.reduce(1, *)
    let began = Date()
    while start < images {
      let n = min(chunkImages, images - start)
      var pixels = [UInt8](repeating: 0, count: n * bytes)
      pixels.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for index in words.indices { words[index] = rng.next() }
      }
      let steering = (0..<n).map { _ in Float(rng.next(below: 2001) - 1000) / 1000 }
      let provenance = (start..<(start + n)).map {
        SampleProvenance(recording: 0, row: Int32($0), camera: .center, flipped: false)
      }
      try writer.append(
        SampleBatch(
          images: pixels, steering: steering, provenance: provenance, height: side, width: side, channels: 3),
        to: "train")
      start += n
      let rate = Double(start) / max(Date().timeIntervalSince(began), 1e-9)
      FileHandle.standardError.write(
        Data(
          String(
            format: "\rcreating %@: %d/%d images, %.0f img/s, ETA %.0f s ", store, start, images, rate,
            Double(images - start) / rate
          ).utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    try writer.finish()
  }

  /// VmHWM, the kernel's high-water mark of resident memory (page cache of the store not included).
  private func peakResidentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return -1 }
    return kilobytes / 1024
  }
}
