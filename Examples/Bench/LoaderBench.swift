import ArgumentParser
import Foundation
import SampleStore
import TensorCore

// `Bench loader`: streams shuffled batches from a sample store, as the trainer would, and reports
// images per second, how long the consumer waited, and the process's peak resident memory.
// Creates the store (random images) when it does not exist. Compare with Benchmarks/loader_peer.py.
struct LoaderBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loader", abstract: "Shuffled batches from an HDF5 sample store (creates one if missing).")

  @Option(help: "Sample store to read (created with random images if missing).") var store: String
  @Option(help: "Images to create when the store does not exist.") var images = 20_000
  @Option(help: "Seconds to stream (ignored with --epochs).") var seconds = 20.0
  @Option(help: "Stream exactly this many full epochs instead of --seconds.") var epochs: Int?
  @Option(help: "Batch size.") var batchSize = 32
  @Option(help: "Images per chunk when creating the store.") var chunkImages = 256
  @Option(help: "Shuffle buffer, in chunks.") var bufferChunks = 16
  @Option(help: "Chunks read ahead.") var prefetchChunks = 4
  @Option(help: "Reader threads.") var readers = 2
  @Option(help: "Threads assembling batches.") var assemblers = 2
  @Option(help: "Image side when creating the store (images are side x side x 3).") var side = 128
  @Flag(inversion: .prefixedNo, help: "Read images with pread(2) (else through HDF5 into chunk buffers).")
  var directReads = true

  func run() throws {
    if !FileManager.default.fileExists(atPath: store) {
      try BenchStoreCreator(path: store, images: images, side: side, chunkImages: chunkImages).create()
    }
    let sampleStore = try SampleStore(path: store)
    let count = try sampleStore.count(of: "train")
    let imageMB = Double(count * sampleStore.imageBytes) / 1_048_576
    print(
      "store: \(store), \(count) images \(sampleStore.imageShape), chunks of \(sampleStore.chunkImages), \(String(format: "%.0f", imageMB)) MB"
    )
    let loader = try ShuffledLoader(
      store: sampleStore, split: "train", seed: 1, shuffleBufferChunks: bufferChunks,
      prefetchChunks: prefetchChunks, readerThreads: readers, assemblerThreads: assemblers,
      directReads: directReads)
    print(
      String(
        format: "loader memory bound: %.1f MB, images read %@",
        Double(loader.memoryBoundBytes(batchSize: batchSize)) / 1_048_576,
        loader.readsDirectly ? "directly (pread)" : "through HDF5"))
    if count <= 1_000_000 {
      let quality = ShuffleQuality(order: loader.epochOrder(0), chunkImages: sampleStore.chunkImages)
      print("shuffle quality (epoch 0): \(quality.summary)")
    }
    let start = Date()
    var delivered = 0
    var checksum: UInt64 = 0
    var epoch = 0
    var lastReport = start
    streaming: while epochs.map({ epoch < $0 }) ?? true {
      let stream = try loader.makeEpoch(epoch, batchSize: batchSize)
      while let batch = try stream.next() {
        delivered += batch.count
        checksum &+= UInt64(batch.images[batch.images.count / 2]) &+ UInt64(batch.labels[0].bitPattern)
        let now = Date()
        if epochs == nil && now.timeIntervalSince(start) >= seconds {
          stream.cancel()
          break streaming
        }
        if now.timeIntervalSince(lastReport) >= 10 {
          lastReport = now
          let rate = Double(delivered) / now.timeIntervalSince(start)
          FileHandle.standardError.write(
            Data(
              String(
                format: "epoch %d: %d images, %.0f img/s, RSS %.0f MB\n", epoch, delivered, rate,
                residentMB("VmRSS")
              ).utf8))
        }
      }
      epoch += 1
    }
    let elapsed = Date().timeIntervalSince(start)
    let stats = loader.statistics
    let rate = Double(delivered) / elapsed
    print(
      "epochs: \(epochs.map { "\($0) full" } ?? "\(epoch + 1) started"), \(stats.summary) (checksum \(checksum % 1000))"
    )
    print(
      String(
        format: "streamed %d images in %.1f s: %.2f GB/s of images; consumer waited %.1f s (%.0f%%)",
        delivered, elapsed,
        rate * Double(sampleStore.imageBytes) / 1e9, stats.consumerWaitSeconds, stats.waitFraction * 100))
    print(String(format: "peak RSS MB: %.0f", residentMB("VmHWM")))
    print(String(format: "loader img/s: %.0f", rate))
  }

  /// A line of /proc/self/status in MB: VmHWM is the peak resident memory, VmRSS the current one
  /// (the kernel's page cache of the store is not counted: it is not this process's memory).
  private func residentMB(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return -1 }
    return kilobytes / 1024
  }
}
