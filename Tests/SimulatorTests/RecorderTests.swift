import DrivingData
import Foundation
import TensorCore
import Testing

@testable import Simulator

@Suite struct RecorderTests {
  static let renderer = Renderer(track: try! Track(named: "jungle"), mapCellSize: 0.25)

  func temporaryDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("sim-rec-\(UUID())").path
  }

  /// Recording under conditions: same seed, same bytes; the frames differ from a plain recording
  /// while the labels (the expert's commands) do not.
  @Test func conditionsChangeTheFramesReproduciblyNotTheLabels() throws {
    func record(_ conditions: DriveConditions?) throws -> (steering: [Float], center: [UInt8]) {
      let dir = temporaryDirectory()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      var options = RecordingOptions()
      options.maxRows = 12
      options.startTime = 1_700_000_000
      options.conditions = conditions
      let writer = try RecordingWriter(directory: dir, utcOffsetSeconds: 0)
      _ = try Recorder(track: Self.renderer.track, renderer: Self.renderer, options: options).record(
        to: writer)
      writer.close()
      let rows = try #require(try RecordingReader.read([dir]).0.first).rows
      let decoder = JPEGDecoder()
      return (rows.map(\.steering), try rows.flatMap { try decoder.decode(contentsOf: $0.center).pixels })
    }
    let plain = try record(nil)
    let a = try record(.standard(seed: 4))
    #expect(try record(.standard(seed: 4)).center == a.center)
    #expect(a.center != plain.center)
    #expect(a.steering == plain.steering)
  }

  @Test func recordingRoundTripsThroughTheReader() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = RecordingOptions()
    options.maxRows = 30
    options.startTime = 1_700_000_000
    options.recoveries = true
    let writer = try RecordingWriter(directory: dir, utcOffsetSeconds: 0)
    let report = try Recorder(track: Self.renderer.track, renderer: Self.renderer, options: options).record(
      to: writer)
    writer.close()
    #expect(report.rows == 30)

    let (recordings, summary) = try RecordingReader.read([dir])
    #expect(summary.rowsSkipped == 0)
    let rows = try #require(recordings.first).rows
    #expect(rows.count == 30)
    let decoder = JPEGDecoder()
    for row in rows {
      for camera in Camera.allCases {
        let path = row.path(camera)
        #expect(path.hasPrefix("/"))  // absolute, as Unity writes
        let image = try decoder.decode(contentsOf: path)
        #expect(image.width == 320 && image.height == 160)
      }
      #expect(abs(row.steering) <= 1)
      #expect(row.speed >= 0 && row.speed <= 30)
    }
    // About 15 samples a second, named in the given time zone: the first image is at 1_700_000_000 s.
    #expect(rows[0].center.hasSuffix("IMG/center_2023_11_14_22_13_20_000.jpg"))
    // The next sample 1/15 s later, on the 10 ms physics clock: 60 or 70 ms.
    #expect(rows[1].center.hasSuffix("_060.jpg") || rows[1].center.hasSuffix("_070.jpg"))
    #expect(rows[15].center.hasSuffix("IMG/center_2023_11_14_22_13_21_000.jpg"))
    // The car accelerates from rest.
    #expect(rows.last!.speed > rows.first!.speed)
  }

  @Test func recoveriesRecordTheWayBackNotTheDrift() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = RecordingOptions()
    options.recoveries = true
    options.maxRows = 600  // 40 s of recorded driving
    options.startTime = 1_700_000_000
    options.seed = 9
    let writer = try RecordingWriter(directory: dir, utcOffsetSeconds: 0)
    let report = try Recorder(track: Self.renderer.track, renderer: Self.renderer, options: options).record(
      to: writer)
    #expect(report.recoveries >= 2)
    #expect(report.offRoadEvents == 0)
    // Unrecorded drifts leave gaps in the timestamps (more than a sample period apart).
    let (recordings, _) = try RecordingReader.read([dir], checkImages: false)
    let rows = recordings[0].rows
    let times = rows.map { row -> Int in
      let name = (row.center as NSString).lastPathComponent
      let parts = name.dropFirst("center_".count).dropLast(4).split(separator: "_").map { Int($0)! }
      return ((parts[3] * 60 + parts[4]) * 60 + parts[5]) * 1000 + parts[6]
    }
    let gaps = zip(times, times.dropFirst()).filter { $1 - $0 > 200 }.count
    #expect(gaps >= report.recoveries - 1)
    // Recovery rows steer hard: some labels are well away from the gentle cruising ones.
    #expect(rows.contains { abs($0.steering) > 0.3 })
  }

  @Test func noiseChangesTheDrivingNotTheLabels() throws {
    // With noise, the recorded label is the expert's command for the state reached, so it corrects
    // the noise: labels and applied steering differ, and the car still stays on the road.
    let track = Self.renderer.track
    var options = RecordingOptions()
    options.steeringNoise = 0.15
    options.maxRows = 150
    options.startTime = 1_700_000_000
    let a = temporaryDirectory()
    let b = temporaryDirectory()
    defer {
      try? FileManager.default.removeItem(atPath: a)
      try? FileManager.default.removeItem(atPath: b)
    }
    let noisy = try Recorder(track: track, renderer: Self.renderer, options: options)
      .record(to: try RecordingWriter(directory: a, utcOffsetSeconds: 0))
    options.steeringNoise = 0
    _ = try Recorder(track: track, renderer: Self.renderer, options: options)
      .record(to: try RecordingWriter(directory: b, utcOffsetSeconds: 0))
    #expect(noisy.offRoadEvents == 0)
    let labelsA = try RecordingReader.read([a], checkImages: false).0[0].rows.map(\.steering)
    let labelsB = try RecordingReader.read([b], checkImages: false).0[0].rows.map(\.steering)
    #expect(labelsA.count == 150 && labelsB.count == 150)
    #expect(labelsA != labelsB)
  }
}
