import TensorCore

// Writes recordings exactly as the Udacity/Unity simulator does in training mode.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Appends frames to `<directory>/driving_log.csv` and `<directory>/IMG/`, in the simulator's
/// format: absolute paths, no header, `\n` endings, .NET number formatting and image names
/// `IMG/center_yyyy_MM_dd_HH_mm_ss_fff.jpg` in local time.
///
/// A row is appended (in one `write`) only after its three images are completely on disk, so a
/// crash never leaves a row pointing at missing images. Safe to call from any thread.
public final class RecordingWriter: @unchecked Sendable {
  /// Absolute path of the recording folder.
  public let directory: String
  public let logPath: String
  public let imageDirectory: String
  private let encoder: JPEGEncoder
  private let utcOffsetSeconds: Int?
  private let lock = Lock()
  private var fd: Int32
  private var rows = 0

  /// Opens (creating if needed) the recording in `directory` for appending.
  /// - Parameters:
  ///   - quality: JPEG quality of encoded frames (Unity's default is 75).
  ///   - utcOffsetSeconds: time zone of image names; nil is the machine's local time, as Unity does.
  public init(directory: String, quality: Int = 75, utcOffsetSeconds: Int? = nil) throws {
    guard (1...100).contains(quality) else {
      throw DrivingDataError.invalidArgument("JPEG quality \(quality) is not in 1...100")
    }
    self.directory = FileIO.absolute(directory)
    logPath = FilePath.join(self.directory, "driving_log.csv")
    imageDirectory = FilePath.join(self.directory, "IMG")
    encoder = JPEGEncoder(quality: quality)
    self.utcOffsetSeconds = utcOffsetSeconds
    try FileIO.makeDirectories(imageDirectory)
    fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw DrivingDataError.unwritableFile(path: logPath, reason: FileIO.errnoText()) }
    try terminateTornRow()
  }

  deinit { if fd >= 0 { _ = closeFile(fd) } }

  /// Rows appended by this writer.
  public var rowsWritten: Int { lock.withLock { rows } }

  /// Encodes the three camera images as JPEG and appends a row.
  /// - Parameter timestamp: seconds since 1970 (UTC) of the frame; names the images.
  /// - Returns: the row as written (numbers rounded as in the CSV).
  @discardableResult
  public func append(
    center: RGBImage, left: RGBImage, right: RGBImage, steering: Float, throttle: Float, brake: Float,
    speed: Float, timestamp: Double
  ) throws -> DrivingLogRow {
    try lock.withLock {
      let paths = try reservePaths(timestamp)
      for (image, path) in zip([center, left, right], paths) { try encoder.write(image, to: path) }
      return try appendRow(paths, steering, throttle, brake, speed)
    }
  }

  /// Appends a row whose camera images are already JPEG-encoded (e.g. frames also sent as telemetry).
  @discardableResult
  public func append(
    centerJPEG: [UInt8], leftJPEG: [UInt8], rightJPEG: [UInt8], steering: Float, throttle: Float,
    brake: Float, speed: Float, timestamp: Double
  ) throws -> DrivingLogRow {
    try lock.withLock {
      let paths = try reservePaths(timestamp)
      for (bytes, path) in zip([centerJPEG, leftJPEG, rightJPEG], paths) {
        try FileIO.writeAtomically(bytes, to: path)
      }
      return try appendRow(paths, steering, throttle, brake, speed)
    }
  }

  /// Closes the CSV. Further appends throw.
  public func close() {
    lock.withLock {
      if fd >= 0 { _ = closeFile(fd) }
      fd = -1
    }
  }

  /// `center_2017_10_14_12_55_05_554.jpg`-style name of `camera` at `timestamp`.
  public func imageName(_ camera: Camera, timestamp: Double) -> String {
    RecordingWriter.imageName(camera, timestamp: timestamp, utcOffsetSeconds: utcOffsetSeconds)
  }

  public static func imageName(_ camera: Camera, timestamp: Double, utcOffsetSeconds: Int?) -> String {
    let milliseconds = Int64((timestamp * 1000).rounded(.down))
    var seconds = time_t(milliseconds.floorDivided(by: 1000))
    let fraction = Int(milliseconds - Int64(seconds) * 1000)
    var parts = tm()
    if let offset = utcOffsetSeconds {
      seconds += time_t(offset)
      gmtime_r(&seconds, &parts)
    } else {
      localtime_r(&seconds, &parts)
    }
    func pad(_ value: Int32, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let prefix = ["center", "left", "right"][Int(camera.rawValue)]
    let date = [pad(parts.tm_year + 1900, 4), pad(parts.tm_mon + 1, 2), pad(parts.tm_mday, 2)]
    let time = [pad(parts.tm_hour, 2), pad(parts.tm_min, 2), pad(parts.tm_sec, 2), pad(Int32(fraction), 3)]
    return "\(prefix)_\((date + time).joined(separator: "_")).jpg"
  }

  // MARK: internals (called under the lock)

  private func reservePaths(_ timestamp: Double) throws -> [String] {
    guard fd >= 0 else { throw DrivingDataError.unwritableFile(path: logPath, reason: "writer is closed") }
    guard timestamp.isFinite else { throw DrivingDataError.invalidArgument("timestamp \(timestamp)") }
    let paths = Camera.allCases.map { FilePath.join(imageDirectory, imageName($0, timestamp: timestamp)) }
    // Two frames in one millisecond would overwrite a recorded image: refuse instead.
    if let taken = paths.first(where: FileIO.exists) {
      throw DrivingDataError.unwritableFile(path: taken, reason: "an image with this timestamp exists")
    }
    return paths
  }

  private func appendRow(
    _ paths: [String], _ steering: Float, _ throttle: Float, _ brake: Float, _ speed: Float
  ) throws -> DrivingLogRow {
    // The row returned holds the values as the CSV stores them (7 significant digits).
    let stored = [steering, throttle, brake, speed].map { Float(DotNetNumber.format($0)) ?? $0 }
    var row = DrivingLogRow(
      center: paths[0], left: paths[1], right: paths[2], steering: stored[0], throttle: stored[1],
      brake: stored[2], speed: stored[3])
    let line = Array((row.csvLine + "\n").utf8)
    try line.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: logPath) }
    rows += 1
    row.line = rows
    return row
  }

  /// A previous writer that died mid-row leaves no newline at the end; start on a fresh line so the
  /// torn row stays one bad row (which the reader reports) instead of corrupting the next one.
  private func terminateTornRow() throws {
    let bytes = try FileIO.read(logPath)
    if let last = bytes.last, last != UInt8(ascii: "\n") {
      try [UInt8(ascii: "\n")].withUnsafeBytes { try FileIO.writeAll(fd, $0, path: logPath) }
    }
  }
}

private func closeFile(_ fd: Int32) -> Int32 { close(fd) }

extension Int64 {
  fileprivate func floorDivided(by divisor: Int64) -> Int64 {
    let quotient = self / divisor
    return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
  }
}
