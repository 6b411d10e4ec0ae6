// What the network looks at, for the report: VisualBackProp saliency (through any
// `SaliencyPredictor`) over a few sample frames of a drive and over the frames just before each
// off-road event, drawn as the camera frame beside the frame with the mask as a heat map.
// `write` makes saliency/*.png and saliency.json; `ReportFolder.saliencySection` reads them back.
import DrivingData
import Foundation

/// saliency.json: the pictures of each group, `[{file, caption}]`, and how they were made.
public struct SaliencyListing: Sendable, Codable, Equatable {
  public struct Picture: Sendable, Codable, Equatable {
    public var file: String
    public var caption: String
  }
  public var samples: [Picture] = []
  public var offroad: [Picture] = []
  /// Off-road events of drive.json, and how many of them had frames to show.
  public var offroadEvents = 0
  public var offroadEventsShown = 0
  /// Where the frames came from and with which model (for the page's text).
  public var frames = ""
  public var model = ""

  public init() {}
}

public enum SaliencyPictures {
  /// Frames before an event shown, as offsets from the event's frame (0: the last frame answered
  /// before it; at the Simulator's 20 frames/s, 0.5 s and 0.25 s earlier).
  public static let offroadOffsets = [-10, -5, 0]

  /// `count` frame indices spread evenly over `frameCount` frames (middles of equal parts).
  public static func sampleIndices(frameCount: Int, count: Int) -> [Int] {
    guard frameCount > 0, count > 0 else { return [] }
    let n = min(count, frameCount)
    return (0..<n).map { (2 * $0 + 1) * frameCount / (2 * n) }
  }

  /// For each event frame, the in-range frames at `offsets` from it (duplicates and events past
  /// the last frame dropped: the frame folder may stop early).
  public static func offroadIndices(events: [Int], frameCount: Int, offsets: [Int] = offroadOffsets)
    -> [[Int]]
  {
    events.map { event in
      guard event >= 0, event < frameCount else { return [] }
      var seen = Set<Int>()
      return offsets.map { event + $0 }.filter { $0 >= 0 && $0 < frameCount && seen.insert($0).inserted }
    }
  }

  /// The frame and, to its right after an 8-pixel white gap, the frame with its saliency heat map.
  // frame: (h, w, 3), saliency (h, w) -> (h, 2w + 8, 3)
  public static func sideBySide(_ frame: RGBImage, saliency: SaliencyFrame) throws -> RGBImage {
    let overlay = try saliency.overlay(on: frame)
    let (w, h, gap) = (frame.width, frame.height, 8)
    let outW = 2 * w + gap
    var pixels = [UInt8](repeating: 255, count: outW * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        for k in 0..<3 {
          pixels[(y * outW + x) * 3 + k] = frame.pixels[(y * w + x) * 3 + k]
          pixels[(y * outW + w + gap + x) * 3 + k] = overlay.pixels[(y * w + x) * 3 + k]
        }
      }
    }
    return try RGBImage(width: outW, height: h, pixels: pixels)
  }

  /// Writes `<dir>/saliency/*.png` and `<dir>/saliency.json` for the JPEG frames in `framesFolder`
  /// (sorted by name, which is time order for both drive.py's and the Simulator's names):
  /// `samples` evenly spread frames, and for every event of `evaluation.offroadFrames` the frames
  /// at `offroadOffsets` before it. Returns the listing written.
  @discardableResult
  public static func write(
    predictor: inout some SaliencyPredictor, framesFolder: String, evaluation: DriveEvaluation?,
    samples: Int = 4, modelName: String, to dir: String
  ) throws -> SaliencyListing {
    let frames = try FrameFolder.frames(in: framesFolder)
    try FileManager.default.createDirectory(atPath: dir + "/saliency", withIntermediateDirectories: true)
    var listing = SaliencyListing()
    listing.frames = framesFolder
    listing.model = modelName
    let png = PNGCodec()
    func picture(_ index: Int, file: String, caption: String) throws -> SaliencyListing.Picture {
      let image = try RGBImage(contentsOfFile: frames[index])
      let (steering, saliency) = try predictor.steeringAndSaliency(for: image)
      try png.write(try sideBySide(image, saliency: saliency), to: dir + "/" + file)
      return .init(file: file, caption: caption + String(format: ", steering %+.3f", steering))
    }
    for (n, i) in sampleIndices(frameCount: frames.count, count: samples).enumerated() {
      listing.samples.append(
        try picture(i, file: "saliency/sample-\(n + 1).png", caption: "frame \(i + 1) of \(frames.count)"))
    }
    let events = evaluation?.offroadFrames ?? []
    listing.offroadEvents = evaluation?.offroadEvents ?? 0
    let times = evaluation?.offroadTimesS ?? []
    for (e, indices) in offroadIndices(events: events, frameCount: frames.count).enumerated()
    where !indices.isEmpty {
      listing.offroadEventsShown += 1
      let at = e < times.count ? String(format: " at %.1f s", times[e]) : ""
      for i in indices {
        let before = events[e] - i
        listing.offroad.append(
          try picture(
            i, file: "saliency/offroad-\(e + 1)-\(i + 1).png",
            caption: "off-road event \(e + 1)\(at): "
              + (before == 0 ? "last frame before it" : "\(before) frames before it")))
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(listing).write(to: URL(fileURLWithPath: dir + "/saliency.json"))
    return listing
  }
}

extension ReportFolder {
  /// "What the network looks at": the pictures saliency.json lists, or a note saying how to make them.
  public func saliencySection() throws -> ReportSection {
    var s = ReportSection(title: "What the network looks at")
    guard let data = FileManager.default.contents(atPath: path + "/saliency.json") else {
      s.blocks.append(
        .note(
          "No saliency.json: run Report with --saliency-model model.h5 --frames <drive frames> to add VisualBackProp saliency pictures."
        ))
      return s
    }
    let listing: SaliencyListing
    do { listing = try JSONDecoder().decode(SaliencyListing.self, from: data) } catch {
      throw ReportError.badFile(path + "/saliency.json", "\(error)")
    }
    s.blocks.append(
      .paragraph(
        "VisualBackProp (Bojarski et al. 2017): the channel means of every convolution's output, scaled back up by deconvolution and multiplied from the deepest layer down, show which pixels the steering rests on. Left: the camera frame; right: the same frame with the mask as a heat map (white-yellow = most salient). Rows the pipeline crops are never salient. Model \(listing.model), frames from \(listing.frames)."
      ))
    if listing.samples.isEmpty {
      s.blocks.append(.note("The frames folder held no frames."))
    } else {
      s.blocks.append(.gallery(listing.samples.map { ($0.file, $0.caption) }, thumbnailWidth: 648))
    }
    if listing.offroadEvents == 0 {
      s.blocks.append(
        .paragraph("The drive had no off-road event, so there are no frames before one to show."))
    } else if listing.offroad.isEmpty {
      s.blocks.append(
        .note(
          "\(listing.offroadEvents) off-road event(s), but none could be matched to a saved frame (drive.json without offroad_frames, or frames saved by another drive)."
        ))
    } else {
      s.blocks.append(
        .paragraph(
          "The frames just before each off-road event (\(listing.offroadEventsShown) of \(listing.offroadEvents) events matched to saved frames):"
        ))
      s.blocks.append(.gallery(listing.offroad.map { ($0.file, $0.caption) }, thumbnailWidth: 648))
    }
    return s
  }
}
