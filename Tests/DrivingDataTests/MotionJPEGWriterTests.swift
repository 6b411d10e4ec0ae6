import Foundation
import Testing

@testable import DrivingData

@Suite struct MotionJPEGWriterTests {
  func u32(_ data: Data, _ offset: Int) -> Int {
    Int(data[offset]) | Int(data[offset + 1]) << 8 | Int(data[offset + 2]) << 16 | Int(data[offset + 3]) << 24
  }

  @Test func writesARIFFThatFFprobeReads() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drive-avi-\(UUID())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var frame = RGBImage(width: 320, height: 160)
    for i in 0..<frame.pixels.count { frame.pixels[i] = UInt8(i * 7 % 251) }
    let jpeg = Data(try frame.jpegData())
    for i in 0..<7 {
      try jpeg.write(to: URL(fileURLWithPath: folder + "/2026_01_01_00_00_00_00\(i).jpg"))
    }
    let frames = try FrameFolder.frames(in: folder)
    let size = try FrameFolder.frameSize(frames[0])
    #expect(size.width == 320 && size.height == 160)
    let output = folder + ".avi"
    defer { try? FileManager.default.removeItem(atPath: output) }
    try MotionJPEGWriter.write(frames: frames, width: size.width, height: size.height, fps: 60, to: output)

    let avi = try Data(contentsOf: URL(fileURLWithPath: output))
    #expect(avi.prefix(4) == Data("RIFF".utf8))
    #expect(u32(avi, 4) == avi.count - 8)
    #expect(avi[8..<12] == Data("AVI ".utf8))

    // An independent reader: ffprobe must count every frame and see MJPEG at 60 fps.
    let ffprobe = try #require(
      ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"].first {
        FileManager.default.isExecutableFile(atPath: $0)
      },
      "ffprobe is missing: run `make test` (its test-deps install ffmpeg)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ffprobe)
    process.arguments = [
      "-v", "error", "-count_frames", "-show_entries",
      "stream=codec_name,width,height,nb_read_frames,r_frame_rate",
      "-of", "default=noprint_wrappers=1", output,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(text.contains("codec_name=mjpeg"))
    #expect(text.contains("width=320"))
    #expect(text.contains("height=160"))
    #expect(text.contains("r_frame_rate=60/1"))
    #expect(text.contains("nb_read_frames=7"))
  }

  @Test func rejectsEmptyOrBadArguments() {
    #expect(throws: DrivingDataError.self) {
      try MotionJPEGWriter.write(frames: [], width: 1, height: 1, fps: 1, to: "/tmp/x.avi")
    }
    #expect(throws: DrivingDataError.self) {
      try MotionJPEGWriter.write(
        frames: ["/nonexistent.jpg"], width: 320, height: 160, fps: 60, to: "/tmp/x.avi")
    }
    #expect(throws: DrivingDataError.self) { try FrameFolder.frames(in: "/nonexistent-folder") }
  }
}
