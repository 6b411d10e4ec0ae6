// A tiny synthetic recording builder for tests across modules: real JPEGs and a real
// driving_log.csv in any of the layouts found in the wild (see docs/driving-log.md).
import DrivingData
import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Builds a recording folder with synthetic but road-like camera frames.
public struct RecordingBuilder: Sendable {
  /// How the CSV spells its rows.
  public enum Layout: Sendable, Equatable {
    /// The simulator's own output (RecordingWriter): no header, absolute paths, `,`.
    case simulator
    /// Udacity's sample data: header row, relative `IMG/...` paths, `", "` separators.
    case udacitySample
    /// Absolute Windows paths with a space in them and `", "` separators, as recorded on another machine.
    case windows
    /// Relative paths into a folder named `folder` (not `IMG`), CSV named `<folder>.csv`.
    case folder(String)
  }

  public var rows: Int
  public var width: Int
  public var height: Int
  public var layout: Layout
  public var seed: UInt64
  /// Steering of row `i`; default a slow sine, with every third row exactly 0 (keyboard-like).
  public var steering: @Sendable (Int) -> Float
  /// Timestamp (Unix seconds) of the first row; rows are 1/15 s apart.
  public var startTime: Double

  public init(
    rows: Int = 8, width: Int = 320, height: Int = 160, layout: Layout = .simulator, seed: UInt64 = 1,
    startTime: Double = 1_508_000_000.25,
    steering: @escaping @Sendable (Int) -> Float = { i in i % 3 == 0 ? 0 : Float(sin(Double(i) * 0.4) * 0.5) }
  ) {
    self.rows = rows
    self.width = width
    self.height = height
    self.layout = layout
    self.seed = seed
    self.startTime = startTime
    self.steering = steering
  }

  /// What was built.
  public struct Built: Sendable {
    public var directory: String
    public var csvPath: String
    /// Rows as the simulator would have recorded them (absolute local paths).
    public var rows: [DrivingLogRow]
  }

  /// Writes the recording into `directory` (created if needed; a fresh temporary folder if nil).
  public func build(in directory: String? = nil) throws -> Built {
    let folder = try directory ?? RecordingBuilder.temporaryDirectory()
    let writer = try RecordingWriter(directory: folder, quality: 90, utcOffsetSeconds: 0)
    var written: [DrivingLogRow] = []
    for i in 0..<rows {
      let angle = steering(i)
      let frames = Camera.allCases.map {
        RecordingBuilder.frame(
          width: width, height: height, steering: angle, camera: $0, seed: seed &+ UInt64(i))
      }
      written.append(
        try writer.append(
          center: frames[0], left: frames[1], right: frames[2], steering: angle, throttle: 0.5, brake: 0,
          speed: 28.5 + Float(i % 5) * 0.25, timestamp: startTime + Double(i) / 15))
    }
    writer.close()
    let csvPath = try relayout(folder: writer.directory, rows: written)
    return Built(directory: writer.directory, csvPath: csvPath, rows: written)
  }

  /// Rewrites the simulator's CSV in `layout`; returns the CSV path.
  private func relayout(folder: String, rows: [DrivingLogRow]) throws -> String {
    let log = folder + "/driving_log.csv"
    func name(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }
    func number(_ row: DrivingLogRow) -> [String] {
      Array(row.csvLine.split(separator: ",").suffix(4).map(String.init))
    }
    var text = ""
    var target = log
    switch layout {
    case .simulator:
      return log
    case .udacitySample:
      text = "center,left,right,steering,throttle,brake,speed\n"
      for row in rows {
        let paths = [row.center, row.left, row.right].map { "IMG/" + name($0) }
        text += (paths + number(row)).joined(separator: ", ") + "\n"
      }
    case .windows:
      for row in rows {
        let paths = [row.center, row.left, row.right].map {
          #"C:\Users\First Last\Desktop\data\IMG\"# + name($0)
        }
        text += (paths + number(row)).joined(separator: ", ") + "\n"
      }
    case .folder(let sub):
      try FileIO.makeDirectories(folder + "/" + sub)
      for row in rows {
        for path in [row.center, row.left, row.right] {
          guard rename(path, folder + "/" + sub + "/" + name(path)) == 0 else {
            throw DrivingDataError.unwritableFile(path: path, reason: "rename failed")
          }
        }
        let paths = [row.center, row.left, row.right].map { sub + "/" + name($0) }
        text += (paths + number(row)).joined(separator: ",") + "\n"
      }
      unlink(log)
      rmdir(folder + "/IMG")
      target = folder + "/" + sub + ".csv"
    }
    try FileIO.writeAtomically(Array(text.utf8), to: target)
    return target
  }

  /// A deterministic road-like frame: sky gradient, grass, a grey road with lane lines whose
  /// position follows `steering` and the camera's offset, plus seeded texture noise.
  public static func frame(
    width: Int, height: Int, steering: Float, camera: Camera = .center, seed: UInt64 = 1
  ) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    let horizon = height * 2 / 5
    let shift = Float(camera == .left ? 0.12 : camera == .right ? -0.12 : 0)
    for y in 0..<height {
      for x in 0..<width {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        let noise = Int(random % 17) - 8
        var rgb: (Int, Int, Int)
        if y < horizon {
          let t = y * 80 / max(1, horizon)
          rgb = (110 + t, 160 + t / 2, 230)
        } else {
          let depth = Float(y - horizon) / Float(height - horizon)  // 0 at horizon, 1 at bottom
          let centre = Float(width) * (0.5 + (steering + shift) * (1 - depth) * 0.6)
          let halfWidth = Float(width) * (0.08 + 0.4 * depth)
          let offset = abs(Float(x) - centre)
          if offset < halfWidth * 0.04 + 1 {
            rgb = (235, 220, 90)
          } else if offset < halfWidth {
            rgb = (105, 105, 110)
          } else {
            rgb = (70, 130, 60)
          }
        }
        image[x: x, y: y, channel: 0] = UInt8(clamping: rgb.0 + noise)
        image[x: x, y: y, channel: 1] = UInt8(clamping: rgb.1 + noise)
        image[x: x, y: y, channel: 2] = UInt8(clamping: rgb.2 + noise)
      }
    }
    return image
  }

  /// A fresh empty folder under the system's temporary directory.
  public static func temporaryDirectory(prefix: String = "bc-test") throws -> String {
    let base = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/\(prefix)-XXXXXX"
    var template = Array(base.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw DrivingDataError.unwritableFile(path: base, reason: "mkdtemp failed")
    }
    return String(cString: made)
  }

  /// Deletes a folder tree made by the builder (tests call it when done).
  public static func remove(_ directory: String) {
    guard let names = try? FileIO.list(directory) else {
      unlink(directory)
      return
    }
    for name in names {
      let path = directory + "/" + name
      if FileIO.isDirectory(path) { remove(path) } else { unlink(path) }
    }
    rmdir(directory)
  }
}
