import Foundation

// The byte form in which a child process hands a snapshot to its parent. Little-endian, every
// count and length checked against the bytes left before anything is allocated, so a child that
// misbehaves without crashing can at worst make the parent report a damaged file.
//
//     message = "BCH5SNP1" status:u8 (0 snapshot, 1 error) body
//     error   = string
//     group   = string(path) u32 attributes (string values)* u32 groups (string group)*
//               u32 datasets (string string(path) u32 rank u64* values)*
//     values  = tag:u8 (0 strings, 1 signed, 2 unsigned, 3 floats, 4 unsupported) ...
//     string  = u32 length, UTF-8 bytes

/// What a child answers: the snapshot, or why it could not take one.
package enum ChildAnswer {
  case snapshot(H5SnapshotGroup)
  case failure(String)
}

enum H5SnapshotCoding {
  static let magic = Array("BCH5SNP1".utf8)

  static func encode(_ result: Result<H5SnapshotGroup, Error>) -> [UInt8] {
    var w = Writer()
    w.bytes += magic
    switch result {
    case .success(let group):
      w.bytes.append(0)
      w.group(group)
    case .failure(let error):
      w.bytes.append(1)
      w.string("\(error)")
    }
    return w.bytes
  }

  /// The snapshot, or the child's error text; nil when the bytes are not a well-formed message.
  static func decode(_ bytes: [UInt8]) -> ChildAnswer? {
    var r = Reader(bytes: bytes)
    guard let head = r.take(magic.count), Array(head) == magic, let status = r.u8() else { return nil }
    switch status {
    case 0:
      guard let group = r.group(depth: 0), r.atEnd else { return nil }
      return .snapshot(group)
    case 1:
      guard let text = r.string(), r.atEnd else { return nil }
      return .failure(text)
    default: return nil
    }
  }

  struct Writer {
    var bytes: [UInt8] = []

    mutating func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
      let utf8 = Array(s.utf8)
      u32(utf8.count)
      bytes += utf8
    }

    mutating func values(_ v: H5SnapshotValues) {
      switch v {
      case .strings(let a):
        bytes.append(0)
        u32(a.count)
        for s in a { string(s) }
      case .signed(let a):
        bytes.append(1)
        u32(a.count)
        for x in a { u64(UInt64(bitPattern: x)) }
      case .unsigned(let a):
        bytes.append(2)
        u32(a.count)
        for x in a { u64(x) }
      case .floats(let a):
        bytes.append(3)
        u32(a.count)
        for x in a { u64(x.bitPattern) }
      case .unsupported(let what):
        bytes.append(4)
        string(what)
      }
    }

    mutating func group(_ g: H5SnapshotGroup) {
      string(g.path)
      u32(g.attributes.count)
      for (name, v) in g.attributes.sorted(by: { $0.key < $1.key }) {
        string(name)
        values(v)
      }
      u32(g.groups.count)
      for (name, child) in g.groups.sorted(by: { $0.key < $1.key }) {
        string(name)
        group(child)
      }
      u32(g.datasets.count)
      for (name, d) in g.datasets.sorted(by: { $0.key < $1.key }) {
        string(name)
        string(d.path)
        u32(d.extent.count)
        for n in d.extent { u64(UInt64(n)) }
        values(d.values)
      }
    }
  }

  struct Reader {
    let bytes: [UInt8]
    var offset = 0

    var atEnd: Bool { offset == bytes.count }
    var left: Int { bytes.count - offset }

    mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
      guard n >= 0, n <= left else { return nil }
      defer { offset += n }
      return bytes[offset..<offset + n]
    }

    mutating func u8() -> UInt8? { take(1)?.first }

    mutating func u32() -> Int? {
      guard let s = take(4) else { return nil }
      return Int(s.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    mutating func u64() -> UInt64? {
      guard let s = take(8) else { return nil }
      return s.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    mutating func string() -> String? {
      guard let n = u32(), let s = take(n) else { return nil }
      return String(decoding: s, as: UTF8.self)
    }

    /// A count of items each at least `minimum` bytes long: never more than the bytes left allow.
    mutating func count(minimum: Int) -> Int? {
      guard let n = u32(), n <= left / minimum else { return nil }
      return n
    }

    mutating func numbers<T>(_ make: (UInt64) -> T) -> [T]? {
      guard let n = count(minimum: 8) else { return nil }
      var out: [T] = []
      out.reserveCapacity(n)
      for _ in 0..<n { out.append(make(u64()!)) }
      return out
    }

    mutating func values() -> H5SnapshotValues? {
      switch u8() {
      case 0:
        guard let n = count(minimum: 4) else { return nil }
        var out: [String] = []
        for _ in 0..<n {
          guard let s = string() else { return nil }
          out.append(s)
        }
        return .strings(out)
      case 1: return numbers { Int64(bitPattern: $0) }.map { .signed($0) }
      case 2: return numbers { $0 }.map { .unsigned($0) }
      case 3: return numbers { Double(bitPattern: $0) }.map { .floats($0) }
      case 4: return string().map { .unsupported($0) }
      default: return nil
      }
    }

    mutating func group(depth: Int) -> H5SnapshotGroup? {
      guard depth < H5Snapshot.maxDepth, let path = string() else { return nil }
      var g = H5SnapshotGroup(path: path)
      guard let attributes = count(minimum: 5) else { return nil }
      for _ in 0..<attributes {
        guard let name = string(), let v = values() else { return nil }
        g.attributes[name] = v
      }
      guard let groups = count(minimum: 16) else { return nil }
      for _ in 0..<groups {
        guard let name = string(), let child = group(depth: depth + 1) else { return nil }
        g.groups[name] = child
      }
      guard let datasets = count(minimum: 13) else { return nil }
      for _ in 0..<datasets {
        guard let name = string(), let path = string(), let rank = count(minimum: 8) else { return nil }
        var extent: [Int] = []
        for _ in 0..<rank {
          guard let n = u64(), n <= UInt64(Int32.max) else { return nil }
          extent.append(Int(n))
        }
        guard let v = values() else { return nil }
        // The extent must describe exactly the elements sent (unsupported types carry none).
        var product = 1
        for n in extent {
          let (p, overflow) = product.multipliedReportingOverflow(by: n)
          guard !overflow else { return nil }
          product = p
        }
        if case .unsupported = v {} else { guard product == v.count else { return nil } }
        g.datasets[name] = H5SnapshotDataset(path: path, extent: extent, values: v)
      }
      return g
    }
  }
}
