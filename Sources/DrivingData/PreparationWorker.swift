// One worker's share of the preparation: decode each needed camera image of a row once, crop and
// resize it (FramePreparer, as Drive does), then emit that row's samples (plain, flipped,
// augmented) in plan order, each converted to the pipeline's colour space last.
import TensorCore

struct PreparationWorker {
  let preparation: DataPreparation
  let decoder: JPEGDecoder
  private var preparer: FramePreparer
  private var decoded = RGBImage(width: 320, height: 160)

  init(preparation: DataPreparation) {
    self.preparation = preparation
    decoder = JPEGDecoder(fancyUpsampling: preparation.options.fancyUpsampling)
    preparer = FramePreparer(pipeline: preparation.options.inputPipeline())
  }

  /// Consecutive samples of one row form a group (the planner emits them together).
  static func groups(_ samples: [PlannedSample]) -> [SampleGroup] {
    var groups: [SampleGroup] = []
    for (i, sample) in samples.enumerated() {
      if let last = groups.last, last.row == sample.image, last.end == i {
        groups[groups.count - 1].end = i + 1
      } else {
        groups.append(SampleGroup(row: sample.image, start: i, end: i + 1))
      }
    }
    return groups
  }

  /// Produces the samples of `groups`. With `checkOnly`, images are decoded to find unreadable
  /// rows but nothing is resized or kept.
  mutating func run(_ groups: [SampleGroup], split: String, checkOnly: Bool) -> ChunkResult {
    let planned = preparation.plan.samples(split)
    let options = preparation.options
    let (width, height) = (options.width, options.height)
    var result = ChunkResult(height: height, width: width)
    if !checkOnly {
      let expected = groups.reduce(0) { $0 + $1.end - $1.start }
      result.images.reserveCapacity(expected * width * height * 3)
      result.steering.reserveCapacity(expected)
    }
    for group in groups {
      let samples = planned[group.start..<group.end]
      let recording = preparation.recordings[group.row.recording]
      let row = recording.rows[group.row.row]
      var images: [Camera: RGBImage] = [:]
      var failed = false
      for camera in Set(samples.map(\.camera)).sorted(by: { $0.rawValue < $1.rawValue }) {
        do {
          try decoder.decode(contentsOf: row.path(camera), into: &decoded)
          if !checkOnly { images[camera] = try preparer.resize(decoded) }
        } catch {
          result.unreadable.append(
            RecordingIssue(
              file: recording.csvPath, line: row.line, reason: .unreadableImage, detail: "\(error)"))
          failed = true
          break
        }
      }
      if failed { continue }
      result.count += samples.count
      if checkOnly { continue }
      var flippedCache: [Camera: RGBImage] = [:]
      for sample in samples {
        var image: RGBImage
        if sample.flipped {
          if flippedCache[sample.camera] == nil {
            flippedCache[sample.camera] = images[sample.camera]!.flippedHorizontally()
          }
          image = flippedCache[sample.camera]!
        } else {
          image = images[sample.camera]!
        }
        sample.augmentation?.apply(to: &image)  // on RGB, before the colour stage
        preparer.convertColor(&image)
        result.images += image.pixels
        result.steering.append(sample.steering)
        result.provenance.append(sample.provenance)
      }
    }
    return result
  }
}
