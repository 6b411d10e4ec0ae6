// The failure gallery's raw material: what the centre camera saw in the 2 seconds before an off-road
// event, kept by the drive loop in a ring buffer of recent frames and laid out as one contact sheet.
import DrivingData
import Foundation

/// One off-road event with the frames before it.
public struct FailureFrames: Sendable {
  /// Seconds of frames kept before an event.
  public static let window = 2.0
  /// Frames on a contact sheet: one every `window / sheetFrames` seconds (0.25 s).
  public static let sheetFrames = 8

  /// Simulated seconds at the end of the physics interval in which the car left the road.
  public var time: Double
  /// The lap it happened in (1-based).
  public var lap: Int
  /// Where the car was put back on the centre line (metres).
  public var position: Vec2
  /// Up to `sheetFrames` frames, oldest first, each with the simulated time it was taken.
  public var frames: [(time: Double, image: RGBImage)]

  public init(time: Double, lap: Int, position: Vec2, frames: [(time: Double, image: RGBImage)]) {
    self.time = time
    self.lap = lap
    self.position = position
    self.frames = frames
  }

  /// The frames in reading order, 4 to a row, 2 px apart on a dark background; a red bar under the
  /// last frame (the one right before the event). Empty frames give a 1 x 1 image.
  public func contactSheet(columns: Int = 4) -> RGBImage {
    guard let first = frames.first?.image else { return RGBImage(width: 1, height: 1) }
    let gap = 2
    let bar = 4
    let (w, h) = (first.width, first.height)
    let rows = (frames.count + columns - 1) / columns
    let used = min(columns, frames.count)
    var sheet = RGBImage(
      width: used * w + (used - 1) * gap, height: rows * (h + bar) + (rows - 1) * gap, fill: (24, 24, 24))
    for (i, frame) in frames.enumerated() {
      let x0 = (i % columns) * (w + gap)
      let y0 = (i / columns) * (h + bar + gap)
      let image = frame.image
      for y in 0..<min(h, image.height) {
        for x in 0..<min(w, image.width) {
          for c in 0..<3 { sheet[x: x0 + x, y: y0 + y, channel: c] = image[x: x, y: y, channel: c] }
        }
      }
      if i == frames.count - 1 {
        for y in y0 + h..<y0 + h + bar {
          for x in x0..<x0 + w {
            sheet[x: x, y: y, channel: 0] = 220
            sheet[x: x, y: y, channel: 1] = 30
            sheet[x: x, y: y, channel: 2] = 30
          }
        }
      }
    }
    return sheet
  }
}

/// The frames of the last `seconds` of simulated time (a ring buffer: 40 frames at 20 Hz).
struct FrameHistory {
  let seconds: Double
  private var frames: [(time: Double, image: RGBImage)] = []
  private var start = 0

  init(seconds: Double) { self.seconds = seconds }

  mutating func append(_ image: RGBImage, time: Double) {
    frames.append((time, image))
    while let oldest = frames[start...].first, oldest.time < time - seconds - 1e-9 { start += 1 }
    // Compact now and then so the array stays about as long as the window.
    if start > 64 {
      frames.removeFirst(start)
      start = 0
    }
  }

  /// `FailureFrames.sheetFrames` frames evenly spaced over the window, ending with the newest: for
  /// each target time the nearest kept frame (repeated when frames are sparser than the targets).
  func sampled() -> [(time: Double, image: RGBImage)] {
    let kept = frames[start...]
    guard let newest = kept.last else { return [] }
    let n = FailureFrames.sheetFrames
    let spacing = seconds / Double(n)
    return (1...n).map { k in
      let target = newest.time - seconds + spacing * Double(k)
      return kept.min { abs($0.time - target) < abs($1.time - target) } ?? newest
    }
  }
}
