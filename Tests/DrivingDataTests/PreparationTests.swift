import TensorCore
import TestSupport
import Testing

@testable import DrivingData

/// A sink that fails after `failAfter` appends, to test resuming.
final class FlakySink: SampleSink {
  let inner = InMemorySampleSink()
  var failAfter: Int?
  var appends = 0

  init(failAfter: Int? = nil) { self.failAfter = failAfter }

  func resumePoint(for split: String) throws -> Int { try inner.resumePoint(for: split) }
  func append(_ batch: SampleBatch, to split: String) throws {
    if let limit = failAfter, appends >= limit {
      throw DrivingDataError.unwritableFile(path: "flaky", reason: "disk full")
    }
    appends += 1
    try inner.append(batch, to: split)
  }
  func finish() throws { try inner.finish() }
}

@Suite("Preparation pipeline")
struct PreparationTests {
  func options(width: Int = 32, height: Int = 16) -> PreparationOptions {
    var options = PreparationOptions()
    options.width = width
    options.height = height
    options.seed = 21
    return options
  }

  @Test func storesEverySampleDecodedResizedAndFlipped() throws {
    let built = try RecordingBuilder(rows: 10, width: 64, height: 32).build()
    defer { RecordingBuilder.remove(built.directory) }
    let preparation = try DataPreparation(data: [built.directory], options: options())
    let sink = InMemorySampleSink()
    var lines: [String] = []
    let summary = try preparation.run(into: sink, threads: 2, rowsPerBatch: 3) { lines.append($0.line) }
    #expect(sink.finished)
    let train = try #require(sink.samples("train"))
    let validation = try #require(sink.samples("validation"))
    #expect(train.count == 48 && validation.count == 12)
    #expect(train.height == 16 && train.width == 32 && train.channels == 3)
    #expect(summary.samples == ["train": 48, "validation": 12])
    #expect(lines.contains { $0.hasPrefix("train") && $0.contains("8/8 rows") })
    #expect(lines.last?.hasPrefix("validation") == true)
    // Check one stored image end to end against decode -> resize -> flip done by hand.
    let index = try #require(train.provenance.firstIndex { $0.camera == .left && $0.flipped })
    let source = train.provenance[index]
    let recording = preparation.recordings[Int(source.recording)]
    let row = recording.rows[Int(source.row)]
    let expected = try JPEGDecoder().decode(contentsOf: row.left).resizedBilinear(width: 32, height: 16)
      .flippedHorizontally()
    #expect(Array(train.images[index * 1536..<(index + 1) * 1536]) == expected.pixels)
    #expect(train.labels[index] == -(row.steering + 0.1))
    // Histograms and summary text.
    #expect(summary.recorded.total == 10 && summary.augmented.total == 48 && summary.validation.total == 12)
    #expect(summary.description.contains("train: 48 samples"))
    #expect(
      summary.histogramSVG.hasPrefix("<svg") && summary.histogramText.contains("== steering: recorded rows"))
  }

  @Test func resultIsTheSameForAnyThreadCountAndBatchSize() throws {
    let built = try RecordingBuilder(rows: 12, width: 64, height: 32).build()
    defer { RecordingBuilder.remove(built.directory) }
    var opts = options()
    opts.augmentation.copies = 1
    opts.plan.temporalWindow = 2
    let preparation = try DataPreparation(data: [built.directory], options: opts)
    var results: [[UInt8]] = []
    for (threads, rows) in [(1, 100), (2, 1), (4, 3)] {
      let sink = InMemorySampleSink()
      _ = try preparation.run(into: sink, threads: threads, rowsPerBatch: rows)
      let train = try #require(sink.samples("train"))
      let validation = try #require(sink.samples("validation"))
      results.append(
        train.images + validation.images + train.labels.flatMap { withUnsafeBytes(of: $0) { Array($0) } })
    }
    #expect(results[0] == results[1] && results[1] == results[2])
  }

  @Test func resumesAfterAFailedAppendAndDropsUnreadableRows() throws {
    let built = try RecordingBuilder(rows: 14, width: 64, height: 32).build()
    defer { RecordingBuilder.remove(built.directory) }
    // One truncated image: its row is reported with file and line and left out.
    let victim = built.rows[5].right
    let bytes = try FileIO.read(victim)
    try FileIO.writeAtomically(Array(bytes.prefix(bytes.count / 2)), to: victim)
    let preparation = try DataPreparation(data: [built.directory], options: options())
    let clean = InMemorySampleSink()
    let reference = try preparation.run(into: clean, threads: 2, rowsPerBatch: 2)
    #expect(reference.unreadable.count == 1)
    #expect(reference.unreadable.first?.line == 6)
    #expect(reference.unreadable.first?.file == built.csvPath)
    #expect((reference.samples["train"] ?? 0) + (reference.samples["validation"] ?? 0) == 13 * 6)

    let flaky = FlakySink(failAfter: 3)
    #expect(throws: DrivingDataError.self) { try preparation.run(into: flaky, threads: 2, rowsPerBatch: 2) }
    #expect(!flaky.inner.finished)
    let partial = try flaky.inner.resumePoint(for: "train")
    #expect(partial > 0 && partial < reference.samples["train"]!)
    flaky.failAfter = nil
    let resumed = try preparation.run(into: flaky, threads: 3, rowsPerBatch: 2)
    #expect(resumed.resumed["train"] == partial)
    for split in DataPreparation.splits {
      #expect(flaky.inner.samples(split)?.images == clean.samples(split)?.images)
      #expect(flaky.inner.samples(split)?.labels == clean.samples(split)?.labels)
      #expect(flaky.inner.samples(split)?.provenance == clean.samples(split)?.provenance)
    }
    // Running again on a complete sink appends nothing.
    let again = try preparation.run(into: flaky)
    #expect(again.resumed == again.samples)
    #expect(flaky.inner.samples("train")?.count == clean.samples("train")?.count)
  }

  @Test func fingerprintChangesWithOptionsAndImagesOnly() throws {
    let built = try RecordingBuilder(rows: 4, width: 32, height: 16).build()
    defer { RecordingBuilder.remove(built.directory) }
    let a = try DataPreparation(data: [built.directory], options: options()).fingerprint
    #expect(a.count == 32)
    #expect(try DataPreparation(data: [built.directory], options: options()).fingerprint == a)
    var other = options()
    other.plan.correction = 0.2
    #expect(try DataPreparation(data: [built.directory], options: other).fingerprint != a)
    // Re-encoding one image changes its size or time: the fingerprint notices.
    try JPEGEncoder(quality: 50).write(
      RGBImage(width: 32, height: 16, fill: (1, 2, 3)), to: built.rows[2].center)
    #expect(try DataPreparation(data: [built.directory], options: options()).fingerprint != a)
  }
}
