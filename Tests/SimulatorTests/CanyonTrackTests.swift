import DrivingData
import Foundation
import Testing

@testable import Simulator

/// The third built-in track (issue #16): defined only by Tracks/canyon.json, narrower and tighter
/// than jungle, with its own surfaces and scenery.
@Suite struct CanyonTrackTests {
  static let tracksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Tracks")
  static let file = tracksFolder.appendingPathComponent("canyon.json")

  @Test func loadsByNameAndFromItsFile() throws {
    #expect(TrackLibrary.names == ["lake", "jungle", "canyon"])
    let byName = try Track(named: "canyon")
    let byFile = try Track(named: Self.file.path)
    #expect(byName.spec == byFile.spec)
    #expect(byName.points == byFile.points)
    // The compiled-in text is the file byte for byte, and the file is what `tracks --export` writes.
    let bytes = try Data(contentsOf: Self.file)
    let embedded = try #require(embeddedTrackFiles.first { $0.name == "canyon" })
    #expect(Data(embedded.json.utf8) == bytes)
    #expect(try byName.spec.jsonData() == bytes)
  }

  @Test func everyTracksFileIsCompiledInVerbatim() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.tracksFolder.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    #expect(embeddedTrackFiles.map { $0.name + ".json" }.sorted() == files)
    for file in embeddedTrackFiles {
      let bytes = try Data(contentsOf: Self.tracksFolder.appendingPathComponent(file.name + ".json"))
      #expect(Data(file.json.utf8) == bytes, "\(file.name)")
      #expect(TrackLibrary.names.contains(file.name))
    }
  }

  /// Scripts/tracks/canyon.py (standard library only) writes the committed file byte for byte.
  @Test func generatorScriptReproducesTheFile() throws {
    let environment = ProcessInfo.processInfo.environment
    let python = try #require(
      [environment["BC_TEST_PYTHON"], "/usr/bin/python3", "/usr/local/bin/python3"].compactMap { $0 }
        .first { FileManager.default.isExecutableFile(atPath: $0) }, "needs a python3")
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("canyon-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: output) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
      Self.tracksFolder.appendingPathComponent("../Scripts/tracks/canyon.py").path, output.path,
    ]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(try Data(contentsOf: output) == Data(contentsOf: Self.file))
  }

  @Test func isHarderThanJungle() throws {
    let canyon = try Track(named: "canyon")
    let jungle = try Track(named: "jungle")
    func minRadius(_ t: Track) -> Double { 1 / t.curvatures.map(abs).max()! }
    #expect(canyon.spec.roadWidth < jungle.spec.roadWidth)
    #expect(minRadius(canyon) < 0.6 * minRadius(jungle))
    // The car can still make the tightest turn: its rear axle's smallest circle is wheelbase / tan(lock).
    let parameters = VehicleParameters()
    #expect(minRadius(canyon) > parameters.wheelbase / tan(parameters.maxSteering) + 0.5)
    // Three hairpins (turns of more than 150 degrees within 40 m) and turns both ways.
    var hairpins = 0
    var s = 0.0
    while s < canyon.length {
      var turned = 0.0
      for d in stride(from: 0.0, to: 40, by: 0.5) { turned += canyon.curvature(at: s + d) * 0.5 }
      if abs(turned) > 150 * .pi / 180 {
        hairpins += 1
        s += 40
      } else {
        s += 2
      }
    }
    #expect(hairpins == 3)
    #expect(canyon.curvatures.contains { $0 < -1.0 / 10 } && canyon.curvatures.contains { $0 > 1.0 / 10 })
    // A long straight into the first hairpin.
    #expect(canyon.curvatures.prefix(Int(140 / Track.spacing)).allSatisfy { abs($0) < 1e-3 })
    #expect(canyon.length > 500)
  }

  @Test func expertDrivesBothWaysWithoutLeavingTheRoad() throws {
    let canyon = try Track(named: "canyon")
    for track in [canyon, try canyon.reversed()] {
      let world = ExpertDriverTests.drive(track, laps: 1, speed: 30)
      #expect(world.laps.lapsCompleted == 1)
      #expect(world.offRoadEvents == 0)
    }
  }

  /// A thin loop whose two straights run `gap` metres apart (centre to centre), never crossing.
  static func hairpinLoop(gap: Double, width: Double) -> TrackSpec {
    var points: [[Double]] = []
    let r = gap / 2
    for i in 0..<10 { points.append([Double(i) * 10, 0]) }
    for i in 1..<6 {
      let a = -Double.pi / 2 + Double.pi * Double(i) / 6
      points.append([90 + r * cos(a), r + r * sin(a)])
    }
    for i in 0..<10 { points.append([90 - Double(i) * 10, gap]) }
    for i in 1..<6 {
      let a = Double.pi / 2 + Double.pi * Double(i) / 6
      points.append([r * cos(a), r + r * sin(a)])
    }
    var spec = TrackLibrary.lake
    spec.name = "loop"
    spec.roadWidth = width
    spec.controlPoints = points
    spec.regions = []
    return spec
  }

  @Test func validationRejectsARoadThatRunsIntoItself() throws {
    // 16 m apart is enough for a 5.5 m road (with its verges); 8 m apart the road edges nearly touch.
    #expect(try Track(spec: Self.hairpinLoop(gap: 16, width: 5.5)).length > 200)
    #expect(throws: SimulatorError.self) { try Track(spec: Self.hairpinLoop(gap: 8, width: 5.5)) }
    // Crossing: the canyon's control points with one moved onto the leg beside it.
    var crossing = TrackLibrary.spec(named: "canyon")!
    let i = crossing.controlPoints.indices.prefix(36).min {
      abs(crossing.controlPoints[$0][0] - 120) < abs(crossing.controlPoints[$1][0] - 120)
    }!
    #expect(crossing.controlPoints[i][1] == 0)
    crossing.controlPoints[i] = [120, 20]
    #expect(throws: SimulatorError.self) { try Track(spec: crossing) }
    var style = TrackLibrary.spec(named: "canyon")!
    style.style.scenery = "moon"
    #expect(throws: SimulatorError.self) { try Track(spec: style) }
  }

  /// The stadium of RendererTests drawn in `style`.
  static func stadium(_ style: TrackStyle) throws -> Renderer {
    var spec = RendererTests.stadium.spec
    spec.style = style
    return Renderer(track: try Track(spec: spec), mapCellSize: 0.2)
  }

  @Test func canyonSceneryAndSurfacesLookDifferent() throws {
    let canyonStyle = TrackLibrary.spec(named: "canyon")!.style
    let renderers = try [
      RendererTests.stadium.spec.style, TrackLibrary.jungle.style, canyonStyle,
    ].map(Self.stadium)
    let state = RendererTests.onStraight(x: 10, offset: 0.5, heading: 0.1)
    let frames = renderers.map { $0.render(.center, state: state) }
    // Deterministic: a second renderer of the same track draws the same bytes.
    #expect(try Self.stadium(canyonStyle).render(.center, state: state) == frames[2])
    // Mean colour of rows v0..<v1: (r, g, b).
    func mean(_ frame: [UInt8], rows: Range<Int>) -> (Double, Double, Double) {
      var sum = (0.0, 0.0, 0.0)
      for v in rows {
        for u in 0..<320 {
          let i = 3 * (v * 320 + u)
          sum = (sum.0 + Double(frame[i]), sum.1 + Double(frame[i + 1]), sum.2 + Double(frame[i + 2]))
        }
      }
      let n = Double(rows.count * 320)
      return (sum.0 / n, sum.1 / n, sum.2 / n)
    }
    func difference(_ a: [UInt8], _ b: [UInt8], rows: Range<Int>) -> Double {
      var total = 0
      for i in (3 * rows.lowerBound * 320)..<(3 * rows.upperBound * 320) {
        total += abs(Int(a[i]) - Int(b[i]))
      }
      return Double(total) / Double(3 * rows.count * 320)
    }
    // Horizon band (rock walls and mesas) and the ground beside the road both differ from lake and jungle.
    // (The horizon is near row 53: the camera is pitched 8 degrees down with a 190 px focal length.)
    let horizon = 35..<53
    let ground = 58..<75
    for other in frames.prefix(2) {
      #expect(difference(frames[2], other, rows: horizon) > 15)
      #expect(difference(frames[2], other, rows: ground) > 15)
    }
    // Red rock, not green: red well above green in both bands, unlike the grass and trees.
    for rows in [horizon, ground] {
      let (r, g, _) = mean(frames[2], rows: rows)
      #expect(r > g + 15)
      for other in frames.prefix(2) {
        let (r2, g2, _) = mean(other, rows: rows)
        #expect(r2 - g2 < r - g - 10)
      }
    }
  }

  @Test func fastPathAgreesWithTheReferenceOnTheCanyon() throws {
    let canyon = try Track(named: "canyon")
    let renderer = Renderer(track: canyon, mapCellSize: 0.25)
    for (s, camera) in [(0.0, Camera.center), (160, .left), (320, .right)] {
      let (p, heading) = canyon.pose(at: s)
      let state = VehicleState(position: p, heading: heading + 0.1)
      let fast = renderer.render(camera, state: state)
      let slow = renderer.renderReference(camera, state: state)
      let close = zip(fast, slow).filter { abs(Int($0) - Int($1)) <= 2 }.count
      #expect(Double(close) / Double(fast.count) > 0.995)
    }
  }
}
