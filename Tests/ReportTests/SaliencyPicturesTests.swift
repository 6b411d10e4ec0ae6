// The report's saliency pictures: which frames are shown (samples, the frames before each
// off-road event of drive.json), what each picture holds, and the section that lists them.
import DrivingData
import Foundation
import TestSupport
import Testing

@testable import Report

/// Saliency = the frame's red channel (a stand-in: the network's own mask is tested in ConvNetTests
/// and DriveTests); steering = the frame's index, read back from its green level.
struct RedChannelSaliency: SaliencyPredictor {
  var calls = 0
  mutating func steering(for image: RGBImage) throws -> Float { Float(image.pixels[1]) / 100 }
  mutating func steeringAndSaliency(for image: RGBImage) throws -> (steering: Float, saliency: SaliencyFrame)
  {
    calls += 1
    let red = stride(from: 0, to: image.pixels.count, by: 3).map { Float(image.pixels[$0]) }
    return (try steering(for: image), try SaliencyFrame(mask: red, width: image.width, height: image.height))
  }
}

@Suite struct SaliencyPicturesTests {
  /// 30 frames 64x32, named as drive.py names them; frame i has green level 2 i and a red ramp.
  func framesFolder() throws -> String {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-saliency-frames")
    for i in 0..<30 {
      var image = RGBImage(width: 64, height: 32, fill: (0, UInt8(2 * i), 40))
      for y in 0..<32 { for x in 0..<64 { image.pixels[(y * 64 + x) * 3] = UInt8(x * 4) } }
      let name = String(format: "2026_12_06_03_00_%02d_%03d.jpg", i / 10, (i % 10) * 100)
      try JPEGEncoder(quality: 95).write(image, to: dir + "/" + name)
    }
    return dir
  }

  @Test func frameChoices() {
    #expect(SaliencyPictures.sampleIndices(frameCount: 30, count: 4) == [3, 11, 18, 26])
    #expect(SaliencyPictures.sampleIndices(frameCount: 2, count: 4) == [0, 1])
    #expect(SaliencyPictures.sampleIndices(frameCount: 0, count: 4) == [])
    #expect(
      SaliencyPictures.offroadIndices(events: [12, 3, 40, -1], frameCount: 30)
        == [[2, 7, 12], [3], [], []])
  }

  @Test func writesSamplesAndTheFramesBeforeEachOffroadEvent() throws {
    let frames = try framesFolder()
    let report = try RecordingBuilder.temporaryDirectory(prefix: "bc-saliency-report")
    defer {
      try? FileManager.default.removeItem(atPath: frames)
      try? FileManager.default.removeItem(atPath: report)
    }
    var evaluation = DriveEvaluation(
      track: "lake", controller: "model", laps: 0, offroadEvents: 2, autonomy: 0.5, meanCteM: 1, maxCteM: 3,
      meanSpeedMph: 20, lapTimesS: [], elapsedS: 30)
    evaluation.offroadFrames = [12, 45]  // the second lies past the saved frames
    evaluation.offroadTimesS = [0.66, 2.3]
    // Through drive.json as the Simulator writes it and the report reads it.
    try evaluation.jsonData().write(to: URL(fileURLWithPath: report + "/drive.json"))
    let read = try DriveEvaluation(contentsOf: report + "/drive.json")
    #expect(read.offroadFrames == [12, 45] && read.offroadTimesS == [0.66, 2.3])

    var predictor = RedChannelSaliency()
    let listing = try SaliencyPictures.write(
      predictor: &predictor, framesFolder: frames, evaluation: read, samples: 3, modelName: "model.h5",
      to: report)
    #expect(predictor.calls == 6)
    #expect(
      listing.samples.map(\.file) == [
        "saliency/sample-1.png", "saliency/sample-2.png", "saliency/sample-3.png",
      ])
    #expect(
      listing.offroad.map(\.file) == [
        "saliency/offroad-1-3.png", "saliency/offroad-1-8.png", "saliency/offroad-1-13.png",
      ])
    #expect(listing.offroadEvents == 2 && listing.offroadEventsShown == 1)
    #expect(
      listing.offroad.last?.caption.hasPrefix("off-road event 1 at 0.7 s: last frame before it") == true)
    // The predictor read frame 12 (0-based; its green level, about 24, is the steering).
    let frame = try RGBImage(contentsOfFile: try FrameFolder.frames(in: frames)[12])
    let steering = try predictor.steering(for: frame)
    #expect(abs(steering - 0.24) < 0.05)
    #expect(listing.offroad.last?.caption.hasSuffix(String(format: "steering %+.3f", steering)) == true)

    // Each picture: the frame on the left, the frame with its heat map on the right.
    let picture = try PNGCodec().decode(contentsOf: report + "/saliency/offroad-1-13.png")
    #expect(picture.width == 2 * 64 + 8 && picture.height == 32)
    let (_, saliency) = try predictor.steeringAndSaliency(for: frame)
    let overlay = try saliency.overlay(on: frame)
    for (x, y) in [(0, 0), (5, 10), (63, 31)] {
      for k in 0..<3 {
        #expect(picture[x: x, y: y, channel: k] == frame[x: x, y: y, channel: k])
        #expect(picture[x: 72 + x, y: y, channel: k] == overlay[x: x, y: y, channel: k])
      }
    }
    // The right edge is the most salient (red ramp): hotter than the left edge.
    #expect(Int(picture[x: 72 + 63, y: 16, channel: 1]) > Int(picture[x: 72, y: 16, channel: 1]) + 100)

    let section = try ReportFolder(path: report).saliencySection()
    let page = ReportPage(title: "t", subtitle: "s", sections: [section])
    #expect(page.imageSources == listing.samples.map(\.file) + listing.offroad.map(\.file))
    #expect(page.imageSources.allSatisfy { FileManager.default.fileExists(atPath: report + "/" + $0) })
    let html = page.render()
    #expect(html.contains("1 of 2 events matched"))
    #expect(html.contains("VisualBackProp"))
  }

  @Test func sectionWithoutPicturesSaysHowToMakeThem() throws {
    let dir = try RecordingBuilder.temporaryDirectory(prefix: "bc-saliency-none")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let section = try ReportFolder(path: dir).saliencySection()
    let html = ReportPage(title: "t", subtitle: "s", sections: [section]).render()
    #expect(html.contains("No saliency.json"))
    try "{not json".write(toFile: dir + "/saliency.json", atomically: true, encoding: .utf8)
    #expect(throws: ReportError.self) { try ReportFolder(path: dir).saliencySection() }
  }

  @Test func overlayKeepsUnsalientPixelsAndHeatsSalientOnes() throws {
    let frame = RGBImage(width: 2, height: 1, fill: (10, 20, 30))
    let saliency = try SaliencyFrame(width: 2, height: 1, pixels: [0, 255])
    let out = try saliency.overlay(on: frame, opacity: 0.5)
    #expect(Array(out.pixels[0..<3]) == [10, 20, 30])
    // Full saliency is white in the heat map: halfway from the frame to white.
    #expect(Array(out.pixels[3..<6]) == [133, 138, 143])
    #expect(throws: DrivingDataError.self) { try saliency.overlay(on: RGBImage(width: 3, height: 1)) }
  }
}
