import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Saves received camera frames as `<UTC yyyy_MM_dd_HH_mm_ss_fff>.jpg` (drive.py's names) on a
/// background queue. At most `capacity` frames wait; beyond that frames are dropped and counted,
/// so a slow disk never delays a reply. The JPEG bytes are saved as received (no re-encode).
public final class FrameRecorder: Sendable {
  public let folder: String
  private let queue = DispatchQueue(label: "drive.frame-recorder", qos: .utility)
  private let capacity: Int
  private let state = NIOLockedValueBox(State())
  private let logger: Logger

  private struct State {
    var pending = 0
    var saved = 0
    var dropped = 0
    var failed = 0
    var lastName = ""
    var sameNameCount = 0
  }

  /// Creates `folder` if needed. If it exists it must hold only `.jpg` files, which are removed
  /// (drive.py empties the folder; refusing other content protects a mistyped path).
  public init(folder: String, capacity: Int = 256, logger: Logger = Logger(label: "drive.recorder")) throws {
    self.folder = folder
    self.capacity = capacity
    self.logger = logger
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: folder, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw DriveError.io(path: folder, reason: "exists and is not a folder")
      }
      let entries = try Self.contents(folder)
      if let other = entries.first(where: { !$0.lowercased().hasSuffix(".jpg") }) {
        throw DriveError.io(
          path: folder, reason: "holds \(other), not only .jpg frames; refusing to empty it")
      }
      for name in entries {
        do { try fm.removeItem(atPath: folder + "/" + name) } catch {
          throw DriveError.io(path: folder + "/" + name, reason: "cannot remove: \(error)")
        }
      }
    } else {
      do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
        throw DriveError.io(path: folder, reason: "cannot create: \(error)")
      }
    }
  }

  private static func contents(_ folder: String) throws -> [String] {
    do { return try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
      throw DriveError.io(path: folder, reason: "cannot list: \(error)")
    }
  }

  /// Counts so far: frames written, dropped because the queue was full, failed writes.
  public var counts: (saved: Int, dropped: Int, failed: Int) {
    state.withLockedValue { ($0.saved, $0.dropped, $0.failed) }
  }

  /// Queues `jpeg` under the current UTC time. Returns false if it was dropped.
  @discardableResult
  public func save(_ jpeg: Data, at date: Date = Date()) -> Bool {
    let admitted = state.withLockedValue { s -> Bool in
      guard s.pending < capacity else {
        s.dropped += 1
        return false
      }
      s.pending += 1
      return true
    }
    guard admitted else { return false }
    queue.async { [self] in
      let path = folder + "/" + uniqueName(Self.fileName(for: date))
      let ok = FileManager.default.createFile(atPath: path, contents: jpeg)
      state.withLockedValue {
        $0.pending -= 1
        if ok { $0.saved += 1 } else { $0.failed += 1 }
      }
      if !ok { logger.warning("cannot write frame", metadata: ["path": "\(path)"]) }
    }
    return true
  }

  /// Blocks until every queued frame is written.
  public func flush() { queue.sync {} }

  // Frames within one millisecond get `_1`, `_2`...: `_` sorts after `.`, so order is kept.
  private func uniqueName(_ stem: String) -> String {
    state.withLockedValue { s in
      if s.lastName == stem {
        s.sameNameCount += 1
        return "\(stem)_\(s.sameNameCount).jpg"
      }
      s.lastName = stem
      s.sameNameCount = 0
      return stem + ".jpg"
    }
  }

  /// `2026_11_25_10_47_54_123` in UTC.
  package static func fileName(for date: Date) -> String {
    // Whole microseconds first (as Python's datetime does), then truncate to milliseconds.
    let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    let (q, r) = micros.quotientAndRemainder(dividingBy: 1_000_000)
    var seconds = time_t(r < 0 ? q - 1 : q)
    let millis = Int((r < 0 ? r + 1_000_000 : r) / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ v: Int32, _ n: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, n - s.count)) + s
    }
    return [
      pad(parts.tm_year + 1900, 4), pad(parts.tm_mon + 1, 2), pad(parts.tm_mday, 2), pad(parts.tm_hour, 2),
      pad(parts.tm_min, 2), pad(parts.tm_sec, 2), pad(Int32(millis), 3),
    ].joined(separator: "_")
  }
}
