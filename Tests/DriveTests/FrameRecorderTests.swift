import DrivingData
import Foundation
import Testing

@testable import Drive

@Suite struct FrameRecorderTests {
  func temporaryFolder() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("drive-recorder-\(UUID())").path
  }

  @Test func namesAreUTCMilliseconds() {
    // 2021-03-04 05:06:07.089 UTC
    let date = Date(timeIntervalSince1970: 1_614_834_367.089)
    #expect(FrameRecorder.fileName(for: date) == "2021_03_04_05_06_07_089")
    #expect(FrameRecorder.fileName(for: Date(timeIntervalSince1970: 0)) == "1970_01_01_00_00_00_000")
  }

  @Test func sameMillisecondFramesKeepOrder() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let recorder = try FrameRecorder(folder: folder)
    let date = Date(timeIntervalSince1970: 1_614_834_367.089)
    for i in 0..<3 { recorder.save(Data([0xFF, 0xD8, UInt8(i)]), at: date) }
    recorder.flush()
    let frames = try FrameFolder.frames(in: folder)
    #expect(
      frames.map { ($0 as NSString).lastPathComponent } == [
        "2021_03_04_05_06_07_089.jpg", "2021_03_04_05_06_07_089_1.jpg", "2021_03_04_05_06_07_089_2.jpg",
      ])
    #expect(frames.map { FileManager.default.contents(atPath: $0)?.last } == [0, 1, 2])
    #expect(recorder.counts.saved == 3)
  }

  @Test func emptiesAFolderOfFramesButRefusesOtherContent() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try #require(FileManager.default.createFile(atPath: folder + "/old.jpg", contents: Data([1])))
    _ = try FrameRecorder(folder: folder)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    try #require(FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data([1])))
    #expect(throws: DriveError.self) { try FrameRecorder(folder: folder) }
    #expect(FileManager.default.fileExists(atPath: folder + "/notes.txt"))
    let file = folder + "/notes.txt"
    #expect(throws: DriveError.self) { try FrameRecorder(folder: file) }
  }

  @Test func boundedQueueDropsInsteadOfBlocking() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let recorder = try FrameRecorder(folder: folder, capacity: 4)
    let frame = Data(repeating: 0xAB, count: 200_000)
    var admitted = 0
    for _ in 0..<400 where recorder.save(frame) { admitted += 1 }
    recorder.flush()
    let counts = recorder.counts
    #expect(counts.saved == admitted)
    #expect(counts.dropped == 400 - admitted)
    #expect(counts.saved + counts.dropped == 400)
    #expect(admitted >= 4)
  }
}
