import TensorCore
import TestSupport
import Testing

@testable import DrivingData

@Suite("Recording reader")
struct RecordingReaderTests {
  @Test(arguments: [
    RecordingBuilder.Layout.simulator, .udacitySample, .windows, .folder("run1"),
  ])
  func readsEveryLayout(layout: RecordingBuilder.Layout) throws {
    let built = try RecordingBuilder(rows: 5, width: 32, height: 16, layout: layout).build()
    defer { RecordingBuilder.remove(built.directory) }
    let (recordings, summary) = try RecordingReader.read([built.directory])
    #expect(recordings.count == 1)
    #expect(summary.rowsRead == 5 && summary.rowsSkipped == 0)
    let rows = try #require(recordings.first?.rows)
    #expect(rows.map(\.steering) == built.rows.map(\.steering))
    #expect(rows.map(\.speed) == built.rows.map(\.speed))
    for (row, original) in zip(rows, built.rows) {
      for camera in Camera.allCases {
        #expect(row.path(camera).hasPrefix("/"))
        #expect(FileIO.exists(row.path(camera)))
        // Resolved by base name to the same file the simulator wrote.
        #expect(
          row.path(camera).split(separator: "/").last == original.path(camera).split(separator: "/").last)
      }
    }
    // Header and data lines are numbered as in the file.
    #expect(rows.first?.line == (layout == .udacitySample ? 2 : 1))
  }

  @Test func recordedAbsolutePathsFromAnotherMachineResolveByBaseName() throws {
    let built = try RecordingBuilder(rows: 2, width: 16, height: 8).build()
    defer { RecordingBuilder.remove(built.directory) }
    let name = String(built.rows[0].center.split(separator: "/").last!)
    let folder = built.directory
    #expect(
      RecordingReader.resolve("/Users/someone/Desktop/data/IMG/" + name, folder: folder) == folder + "/IMG/"
        + name)
    #expect(
      RecordingReader.resolve(#"C:\Users\First Last\data\IMG\"# + name, folder: folder) == folder + "/IMG/"
        + name)
    #expect(RecordingReader.resolve("/elsewhere/IMG/center_missing.jpg", folder: folder) == nil)
    // Second place looked: the recorded parent folder beside the CSV.
    try FileIO.makeDirectories(folder + "/track2")
    let other = folder + "/track2/only_here.jpg"
    try FileIO.writeAtomically([0xFF, 0xD8], to: other)
    #expect(RecordingReader.resolve(#"D:\x\track2\only_here.jpg"#, folder: folder) == other)
    // Last: the path as written.
    let outside = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(outside) }
    try FileIO.writeAtomically([0xFF, 0xD8], to: outside + "/abs.jpg")
    #expect(RecordingReader.resolve(outside + "/abs.jpg", folder: folder) == outside + "/abs.jpg")
  }

  @Test func badRowsAreReportedWithFileAndLineAndSkipped() throws {
    let built = try RecordingBuilder(rows: 3, width: 16, height: 8).build()
    defer { RecordingBuilder.remove(built.directory) }
    let good = built.rows.map(\.csvLine)
    let paths = "\(built.rows[0].center),\(built.rows[0].left),\(built.rows[0].right)"
    let lines = [
      good[0],
      paths + ",0.1,1,0",  // line 2: missing speed
      paths + ",abc,1,0,30",  // line 3: not a number
      paths + ",NaN,1,0,30",  // line 4: NaN
      "/x/IMG/center_gone.jpg,/x/IMG/left_gone.jpg,/x/IMG/right_gone.jpg,0,0,0,0",  // line 5
      "",  // blank lines are not rows
      good[1] + "\r",  // line 7: CRLF tolerated
      paths + ",1,2,3,4,5",  // line 8: too many columns
      paths + ",6.148237E-06, 1, 0, 23.57149",  // line 9: exponent, ", " mix
      good[2],
    ]
    try FileIO.writeAtomically(Array(lines.joined(separator: "\n").utf8), to: built.csvPath)
    var summary = RecordingSummary()
    let recording = try RecordingReader.read(csv: built.csvPath, summary: &summary)
    #expect(recording.rows.map(\.line) == [1, 7, 9, 10])
    #expect(recording.rows[2].steering == 6.148237e-06 && recording.rows[2].speed == 23.57149)
    #expect(summary.rowsRead == 4 && summary.rowsSkipped == 5)
    #expect(summary.issues.map(\.line) == [2, 3, 4, 5, 8])
    #expect(
      summary.issues.map(\.reason) == [.missingColumn, .notANumber, .notFinite, .missingImage, .extraColumn])
    #expect(summary.issues.allSatisfy { $0.file == built.csvPath })
    #expect(summary.issues[3].description.contains("driving_log.csv:5: missing image"))
    #expect(summary.description.contains("4 rows read, 5 skipped"))
  }

  @Test func severalRecordingsAndDiscovery() throws {
    let root = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(root) }
    _ = try RecordingBuilder(rows: 2, width: 16, height: 8, seed: 1).build(in: root + "/lap1")
    _ = try RecordingBuilder(rows: 3, width: 16, height: 8, seed: 2).build(in: root + "/lap2")
    // A folder of subfolders: each driving_log.csv, sorted.
    let (recordings, summary) = try RecordingReader.read([root])
    #expect(recordings.map { $0.rows.count } == [2, 3])
    #expect(summary.recordings == 2 && summary.rowsRead == 5)
    // run1.csv / run2.csv in one folder (layout 4 and 5).
    let flat = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(flat) }
    _ = try RecordingBuilder(rows: 2, width: 16, height: 8, layout: .folder("run1")).build(in: flat)
    _ = try RecordingBuilder(rows: 4, width: 16, height: 8, layout: .folder("run2"), startTime: 1e9).build(
      in: flat)
    #expect(
      try RecordingReader.discover([flat]).map { $0.split(separator: "/").last! } == ["run1.csv", "run2.csv"])
    #expect(try RecordingReader.read([flat]).0.map { $0.rows.count } == [2, 4])
    #expect(throws: DrivingDataError.self) { try RecordingReader.read([root + "/nothing"]) }
  }

  @Test func emptyOrMissingFileThrows() throws {
    let folder = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(folder) }
    try FileIO.writeAtomically(
      Array("center,left,right,steering,throttle,brake,speed\n".utf8), to: folder + "/driving_log.csv")
    var summary = RecordingSummary()
    #expect(throws: DrivingDataError.self) {
      try RecordingReader.read(csv: folder + "/driving_log.csv", summary: &summary)
    }
    #expect(throws: DrivingDataError.self) {
      try RecordingReader.read(csv: folder + "/none.csv", summary: &summary)
    }
  }
}
