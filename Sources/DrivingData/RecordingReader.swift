// Reads driving_log.csv recordings in every layout seen in the wild (docs/driving-log.md).

/// One recording: the rows of one CSV whose images were all found.
public struct Recording: Sendable {
  /// Absolute path of the CSV.
  public var csvPath: String
  /// Rows in file order with image paths resolved to existing local files.
  public var rows: [DrivingLogRow]
}

/// A row that was skipped, with where it is and why.
public struct RecordingIssue: Sendable, Equatable, CustomStringConvertible {
  public enum Reason: String, Sendable, CaseIterable {
    case missingColumn = "missing column"
    case extraColumn = "too many columns"
    case notANumber = "not a number"
    case notFinite = "NaN or infinite"
    case missingImage = "missing image"
    case unreadableImage = "unreadable image"
  }
  public var file: String
  /// 1-based line number in `file`.
  public var line: Int
  public var reason: Reason
  public var detail: String

  public init(file: String, line: Int, reason: Reason, detail: String) {
    self.file = file
    self.line = line
    self.reason = reason
    self.detail = detail
  }

  public var description: String { "\(file):\(line): \(reason.rawValue): \(detail)" }
}

/// What reading produced: rows kept, rows skipped and why.
public struct RecordingSummary: Sendable, CustomStringConvertible {
  public var recordings: Int = 0
  public var rowsRead: Int = 0
  public var issues: [RecordingIssue] = []

  public init() {}

  public var rowsSkipped: Int { issues.count }

  /// Skipped rows per reason.
  public var skippedByReason: [RecordingIssue.Reason: Int] {
    issues.reduce(into: [:]) { $0[$1.reason, default: 0] += 1 }
  }

  public var description: String {
    var text = "\(recordings) recording(s): \(rowsRead) rows read, \(rowsSkipped) skipped"
    let reasons = RecordingIssue.Reason.allCases.compactMap { reason in
      skippedByReason[reason].map { "\($0) \(reason.rawValue)" }
    }
    if !reasons.isEmpty { text += " (" + reasons.joined(separator: ", ") + ")" }
    return text
  }
}

public enum RecordingReader {
  /// Reads one CSV. Bad rows are skipped and reported in `summary`; only an unreadable or empty
  /// file throws. With `checkImages`, rows whose images cannot be found are skipped too.
  public static func read(csv path: String, checkImages: Bool = true, summary: inout RecordingSummary)
    throws -> Recording
  {
    let csvPath = FileIO.absolute(path)
    return try parse(FileIO.read(csvPath), csvPath: csvPath, checkImages: checkImages, summary: &summary)
  }

  /// Parses the bytes of the CSV at `csvPath` (package: the fuzz target feeds it directly).
  package static func parse(
    _ bytes: [UInt8], csvPath: String, checkImages: Bool, summary: inout RecordingSummary
  ) throws -> Recording {
    let folder = FilePath.parent(of: csvPath)
    var rows: [DrivingLogRow] = []
    var lineNumber = 0
    var sawData = false
    for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      var line = String(decoding: rawLine, as: UTF8.self)
      if line.hasSuffix("\r") { line.removeLast() }
      if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
      if !sawData && isHeader(line) { continue }
      sawData = true
      switch parse(line, folder: folder, checkImages: checkImages) {
      case .success(var row):
        row.line = lineNumber
        rows.append(row)
      case .failure(let problem):
        summary.issues.append(
          RecordingIssue(file: csvPath, line: lineNumber, reason: problem.reason, detail: problem.detail))
      }
    }
    if !sawData { throw DrivingDataError.badRecording(path: csvPath, reason: "no rows") }
    summary.recordings += 1
    summary.rowsRead += rows.count
    return Recording(csvPath: csvPath, rows: rows)
  }

  /// Reads every recording found under `paths` (see `discover`), in a stable order.
  public static func read(_ paths: [String], checkImages: Bool = true) throws -> (
    [Recording], RecordingSummary
  ) {
    var summary = RecordingSummary()
    var recordings: [Recording] = []
    for csv in try discover(paths) {
      recordings.append(try read(csv: csv, checkImages: checkImages, summary: &summary))
    }
    return (recordings, summary)
  }

  /// CSV files for each path: a `.csv` file itself; a folder's own `*.csv` files (run1.csv,
  /// driving_log.csv, ...); otherwise `driving_log.csv` in each of its immediate subfolders.
  public static func discover(_ paths: [String]) throws -> [String] {
    var found: [String] = []
    for path in paths.map(FileIO.absolute) {
      if FileIO.exists(path) {
        found.append(path)
        continue
      }
      guard FileIO.isDirectory(path) else {
        throw DrivingDataError.unreadableFile(path: path, reason: "no such file or folder")
      }
      let names = try FileIO.list(path)
      let csvs = names.filter { $0.lowercased().hasSuffix(".csv") }.map { FilePath.join(path, $0) }
      if !csvs.isEmpty {
        found += csvs.filter(FileIO.exists)
        continue
      }
      let nested = names.map { FilePath.join(FilePath.join(path, $0), "driving_log.csv") }.filter(
        FileIO.exists)
      if nested.isEmpty {
        throw DrivingDataError.badRecording(path: path, reason: "no driving_log.csv or *.csv found")
      }
      found += nested
    }
    return found
  }

  /// Where the image recorded as `recorded` is, trying in order `<folder>/IMG/<name>`,
  /// `<folder>/<recorded parent folder>/<name>`, then the path as written (relative to `folder`).
  public static func resolve(_ recorded: String, folder: String) -> String? {
    let separator: Character = recorded.contains("\\") ? "\\" : "/"
    let parts = recorded.split(separator: separator, omittingEmptySubsequences: true)
    guard let name = parts.last else { return nil }
    var candidates = [FilePath.join(FilePath.join(folder, "IMG"), String(name))]
    if parts.count >= 2 {
      candidates.append(FilePath.join(FilePath.join(folder, String(parts[parts.count - 2])), String(name)))
    }
    candidates.append(recorded.hasPrefix("/") ? recorded : FilePath.join(folder, recorded))
    return candidates.first(where: FileIO.exists)
  }

  // MARK: parsing

  private struct Problem: Error {
    var reason: RecordingIssue.Reason
    var detail: String
  }

  private static func isHeader(_ line: String) -> Bool {
    let fields = line.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
    return fields.count >= 4 && fields[0] == "center" && fields[3] == "steering"
  }

  private static func parse(_ line: String, folder: String, checkImages: Bool) -> Result<
    DrivingLogRow, Problem
  > {
    let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
    let names = ["center", "left", "right", "steering", "throttle", "brake", "speed"]
    if fields.count < 7 {
      return .failure(
        Problem(reason: .missingColumn, detail: "\(fields.count) of 7 columns (no \(names[fields.count]))"))
    }
    if fields.count > 7 {
      return .failure(Problem(reason: .extraColumn, detail: "\(fields.count) columns, expected 7"))
    }
    var numbers: [Float] = []
    for column in 3..<7 {
      guard let value = Float(fields[column]) else {
        let kind: RecordingIssue.Reason = fields[column].isEmpty ? .missingColumn : .notANumber
        return .failure(Problem(reason: kind, detail: "\(names[column]) '\(fields[column])'"))
      }
      guard value.isFinite else {
        return .failure(Problem(reason: .notFinite, detail: "\(names[column]) '\(fields[column])'"))
      }
      numbers.append(value)
    }
    var paths: [String] = []
    for column in 0..<3 {
      let recorded = fields[column]
      if recorded.isEmpty {
        return .failure(Problem(reason: .missingColumn, detail: "empty \(names[column]) path"))
      }
      if !checkImages {
        paths.append(recorded)
      } else if let found = resolve(recorded, folder: folder) {
        paths.append(found)
      } else {
        return .failure(Problem(reason: .missingImage, detail: "\(names[column]) \(recorded)"))
      }
    }
    return .success(
      DrivingLogRow(
        center: paths[0], left: paths[1], right: paths[2], steering: numbers[0], throttle: numbers[1],
        brake: numbers[2], speed: numbers[3]))
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> String {
    var view = self[...]
    while let first = view.first, first == " " || first == "\t" || first == "\"" { view = view.dropFirst() }
    while let last = view.last, last == " " || last == "\t" || last == "\"" || last == "\r" {
      view = view.dropLast()
    }
    return String(view)
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
