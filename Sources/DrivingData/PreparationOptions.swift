// Options, progress and summary of the preparation pipeline (recordings -> sample store).

/// Everything that decides what a preparation stores; all of it enters the fingerprint.
public struct PreparationOptions: Sendable, Hashable, Codable {
  /// Stored image size (seed: 320x160 frames -> 128x128, aspect ratio not kept).
  public var width = 128
  public var height = 128
  /// Source rows removed before resizing (the seed crops inside the model instead: 0, 0).
  public var cropTop = 0
  public var cropBottom = 0
  /// Colour space of the stored images (the seed's: RGB).
  public var colorSpace = ColorSpace.rgb
  public var plan = SamplePlanOptions()
  public var augmentation = AugmentationOptions()
  public var seed: UInt64 = 1
  /// libjpeg's smooth chroma upsampling (as OpenCV decodes); off is a little faster.
  public var fancyUpsampling = true

  public init() {}

  /// The frame pipeline this preparation applies (crop rows -> resize -> colour space), for frames
  /// of the simulator's size: what a model trained on the store must be fed, and what TrainNvidia
  /// writes into model.h5. `normalization` is the model's first rescaling, if it has one.
  public func inputPipeline(normalization: Normalization? = nil) -> InputPipeline {
    InputPipeline(
      sourceWidth: InputPipeline.simulatorFrame.width, sourceHeight: InputPipeline.simulatorFrame.height,
      cropTop: cropTop, cropBottom: cropBottom, resizeWidth: width, resizeHeight: height,
      colorSpace: colorSpace, normalization: normalization, modelInputShape: [height, width, 3])
  }
}

/// Where a running preparation is; `line` is a one-line progress bar.
public struct PreparationProgress: Sendable {
  public var split: String
  public var rowsDone: Int
  public var rowsTotal: Int
  public var samplesWritten: Int
  public var seconds: Double

  public var rowsPerSecond: Double { seconds > 0 ? Double(rowsDone) / seconds : 0 }
  public var etaSeconds: Double? {
    rowsPerSecond > 0 ? Double(rowsTotal - rowsDone) / rowsPerSecond : nil
  }

  public var line: String {
    let fraction = rowsTotal > 0 ? Double(rowsDone) / Double(rowsTotal) : 1
    let filled = Int(fraction * 30)
    let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: 30 - filled)
    let eta = etaSeconds.map { "ETA \(duration($0))" } ?? "ETA --"
    return "\(split.rightPad(10)) [\(bar)] \(rowsDone)/\(rowsTotal) rows, \(samplesWritten) samples, "
      + "\(Int(rowsPerSecond)) rows/s, \(eta)"
  }
}

/// What a preparation did.
public struct PreparationSummary: Sendable, CustomStringConvertible {
  public var fingerprint: String
  public var reading: RecordingSummary
  /// Samples per split now in the sink, and how many of them were already there (resumed).
  public var samples: [String: Int] = [:]
  public var resumed: [String: Int] = [:]
  /// Rows whose images could not be decoded (their samples are not stored).
  public var unreadable: [RecordingIssue] = []
  public var droppedNearZero = 0
  public var seconds: Double = 0
  /// Steering of the recorded rows; training labels before augmentation (after balancing); final
  /// training labels (after balancing and augmentation); validation labels.
  public var recorded = SteeringHistogram()
  public var balanced = SteeringHistogram()
  public var augmented = SteeringHistogram()
  public var validation = SteeringHistogram()

  public var description: String {
    var lines = ["\(reading)"]
    for split in ["train", "validation"] {
      let resumedText = (resumed[split] ?? 0) > 0 ? " (\(resumed[split]!) resumed)" : ""
      lines.append("\(split): \(samples[split] ?? 0) samples\(resumedText)")
    }
    if droppedNearZero > 0 { lines.append("balancing dropped \(droppedNearZero) near-zero training rows") }
    if !unreadable.isEmpty {
      lines.append("\(unreadable.count) rows dropped for unreadable images:")
      lines += unreadable.prefix(20).map { "  \($0)" }
      if unreadable.count > 20 { lines.append("  ... and \(unreadable.count - 20) more") }
    }
    lines.append("time \(duration(seconds)), fingerprint \(fingerprint)")
    return lines.joined(separator: "\n")
  }

  /// The steering histograms as text, one block per stage.
  public var histogramText: String {
    [
      ("recorded rows", recorded), ("training, balanced", balanced), ("training, augmented", augmented),
      ("validation", validation),
    ]
    .map { "== steering: \($0.0)\n\($0.1.text())" }.joined(separator: "\n")
  }

  /// The steering histograms as one SVG picture.
  public var histogramSVG: String {
    SteeringHistogram.svg(
      [
        ("recorded rows", recorded), ("training, balanced", balanced), ("training, augmented", augmented),
        ("validation", validation),
      ],
      title: "Steering distribution before and after balancing and augmentation")
  }
}

package func duration(_ seconds: Double) -> String {
  let total = Int(seconds.rounded())
  if total < 60 { return seconds < 10 ? fixed(Float(seconds), 1) + "s" : "\(total)s" }
  if total < 3600 { return "\(total / 60)m\(String(total % 60).leftPad(2).replacingAll(" ", "0"))s" }
  return "\(total / 3600)h\(String(total % 3600 / 60).leftPad(2).replacingAll(" ", "0"))m"
}
