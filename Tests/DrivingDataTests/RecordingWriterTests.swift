import TensorCore
import TestSupport
import Testing

@testable import DrivingData

@Suite("Recording writer")
struct RecordingWriterTests {
  @Test func dotNetNumberFormatting() {
    let cases: [(Float, String)] = [
      (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (-0.05, "-0.05"), (0.1, "0.1"),
      (23.57149, "23.57149"), (30.19014, "30.19014"), (6.148237e-06, "6.148237E-06"),
      (3.560168e-06, "3.560168E-06"), (0.0001, "0.0001"), (0.00001, "1E-05"), (1234567, "1234567"),
      (12345678, "1.234568E+07"), (0.123456789, "0.1234568"), (-0.2521739, "-0.2521739"),
      (1e-20, "1E-20"), (100, "100"),
    ]
    for (value, text) in cases {
      #expect(DotNetNumber.format(value) == text, "\(value)")
    }
  }

  @Test func imageNamesUseMillisecondsAndTheGivenClock() {
    // 2017-10-14 12:55:05.554 UTC
    let t = 1_507_985_705.554
    #expect(
      RecordingWriter.imageName(.center, timestamp: t, utcOffsetSeconds: 0)
        == "center_2017_10_14_12_55_05_554.jpg")
    #expect(
      RecordingWriter.imageName(.left, timestamp: t, utcOffsetSeconds: 3600)
        == "left_2017_10_14_13_55_05_554.jpg")
    #expect(
      RecordingWriter.imageName(.right, timestamp: t, utcOffsetSeconds: -13 * 3600)
        == "right_2017_10_13_23_55_05_554.jpg")
    let local = RecordingWriter.imageName(.center, timestamp: t, utcOffsetSeconds: nil)
    #expect(local.hasPrefix("center_2017_10_1") && local.hasSuffix("_554.jpg") && local.count == 34)
  }

  @Test func writesTheSimulatorFormat() throws {
    let folder = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(folder) }
    let writer = try RecordingWriter(directory: folder, utcOffsetSeconds: 0)
    let image = RecordingBuilder.frame(width: 320, height: 160, steering: 0)
    let t = 1_507_985_705.554
    try writer.append(
      center: image, left: image, right: image, steering: 6.148237e-06, throttle: 1, brake: 0,
      speed: 23.57149, timestamp: t)
    let second = try writer.append(
      center: image, left: image, right: image, steering: -0.05, throttle: 0, brake: 0.5, speed: 30,
      timestamp: t + 1.0 / 15)
    writer.close()
    #expect(second.line == 2)
    let text = String(decoding: try FileIO.read(folder + "/driving_log.csv"), as: UTF8.self)
    let img = writer.directory + "/IMG/"
    let expected =
      "\(img)center_2017_10_14_12_55_05_554.jpg,\(img)left_2017_10_14_12_55_05_554.jpg,"
      + "\(img)right_2017_10_14_12_55_05_554.jpg,6.148237E-06,1,0,23.57149\n"
      + "\(img)center_2017_10_14_12_55_05_620.jpg,\(img)left_2017_10_14_12_55_05_620.jpg,"
      + "\(img)right_2017_10_14_12_55_05_620.jpg,-0.05,0,0.5,30\n"
    #expect(text == expected)
    #expect(writer.directory.hasPrefix("/"))
    for camera in Camera.allCases {
      let decoded = try JPEGDecoder().decode(contentsOf: second.path(camera))
      #expect(decoded.width == 320 && decoded.height == 160)
      #expect(decoded.meanAbsoluteDifference(to: image) < 6)
    }
    #expect(try FileIO.list(folder + "/IMG").count == 6)  // no temporary files left behind
  }

  @Test func refusesToOverwriteAFrameAndAppendsAfterReopen() throws {
    let folder = try RecordingBuilder.temporaryDirectory()
    defer { RecordingBuilder.remove(folder) }
    let image = RGBImage(width: 32, height: 16, fill: (10, 20, 30))
    let writer = try RecordingWriter(directory: folder, utcOffsetSeconds: 0)
    try writer.append(
      center: image, left: image, right: image, steering: 0, throttle: 0, brake: 0, speed: 0, timestamp: 100)
    #expect(throws: DrivingDataError.self) {
      try writer.append(
        center: image, left: image, right: image, steering: 1, throttle: 0, brake: 0, speed: 0,
        timestamp: 100.0004)
    }
    writer.close()
    #expect(throws: DrivingDataError.self) {
      try writer.append(
        center: image, left: image, right: image, steering: 1, throttle: 0, brake: 0, speed: 0, timestamp: 200
      )
    }
    // A torn last row (a crash mid-write) is closed off; the next row starts on its own line.
    let log = folder + "/driving_log.csv"
    var bytes = try FileIO.read(log)
    bytes += Array("/x/IMG/center_torn.jpg,/x/IMG/le".utf8)
    try FileIO.writeAtomically(bytes, to: log)
    let again = try RecordingWriter(directory: folder, utcOffsetSeconds: 0)
    let jpeg = try image.jpegData()
    try again.append(
      centerJPEG: jpeg, leftJPEG: jpeg, rightJPEG: jpeg, steering: 0.25, throttle: 0, brake: 0, speed: 1,
      timestamp: 101)
    again.close()
    let lines = String(decoding: try FileIO.read(log), as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 4)  // row, torn row, new row, final empty
    #expect(lines[1] == "/x/IMG/center_torn.jpg,/x/IMG/le")
    #expect(lines[2].hasSuffix(",0.25,0,0,1"))
    #expect(lines[3].isEmpty)
  }

  @Test func builderLayoutsWriteTheirVariants() throws {
    let built = try RecordingBuilder(rows: 3, width: 32, height: 16, layout: .udacitySample).build()
    defer { RecordingBuilder.remove(built.directory) }
    let text = String(decoding: try FileIO.read(built.csvPath), as: UTF8.self)
    #expect(text.hasPrefix("center,left,right,steering,throttle,brake,speed\nIMG/center_"))
    #expect(text.contains(".jpg, IMG/left_"))
  }
}
