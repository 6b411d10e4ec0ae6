import Foundation

/// What this process holds open, from `/proc` (Linux): for the abuse test and `Bench drive`.
package enum ProcessCensus {
  /// Open file descriptors.
  package static func descriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
  }

  /// Resident set size and its peak so far (VmRSS, VmHWM) in bytes, and the thread count, from one
  /// read of /proc/self/status; -1 where unknown.
  package static func status() -> (resident: Int, peak: Int, threads: Int) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return (-1, -1, -1)
    }
    let lines = status.split(separator: "\n")
    /// `Name:\t  value [kB]`: the value, -1 if the line is missing.
    func field(_ name: String, scale: Int = 1) -> Int {
      guard let line = lines.first(where: { $0.hasPrefix(name + ":") }),
        let value = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
      else { return -1 }
      return value * scale
    }
    return (field("VmRSS", scale: 1024), field("VmHWM", scale: 1024), field("Threads"))
  }

  /// Resident set size and its peak so far (VmRSS, VmHWM), in bytes.
  package static func memory() -> (resident: Int, peak: Int) {
    let now = status()
    return (now.resident, now.peak)
  }

  /// A `/proc` file to its end (they report size 0, and a one-page read cuts long tables short).
  static func read(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return (try? handle.readToEnd()).map { String(decoding: $0, as: UTF8.self) }
  }

  /// This process's open TCP sockets whose local port is `port`: a server's listener and the
  /// connections it accepted (clients in the same process have other local ports).
  package static func sockets(localPort port: Int) -> Int {
    var inodes = Set<Substring>()
    let hexPort = String(format: ":%04X", port)
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
      guard let text = read(table) else { continue }
      for line in text.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 9, fields[1].hasSuffix(hexPort) else { continue }
        inodes.insert(fields[9])
      }
    }
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.count { fd in
      guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd),
        target.hasPrefix("socket:[")
      else { return false }
      return inodes.contains(target.dropFirst(8).dropLast())
    }
  }
}
