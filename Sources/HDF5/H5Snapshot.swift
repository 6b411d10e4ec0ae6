import Foundation

// A whole HDF5 file read into plain values: groups, their attributes, datasets and their numbers.
// Model files and training checkpoints are read through a snapshot, so the snapshot can be taken
// in a child process (`IsolatedRead`) and the parent never hands an untrusted file to libhdf5.

/// The values of an attribute or dataset, in the widest type of their class.
public enum H5SnapshotValues: Sendable, Equatable {
  case strings([String])
  case signed([Int64])
  case unsigned([UInt64])
  case floats([Double])
  /// A stored type the snapshot does not carry (compound, enum...), with what it was.
  case unsupported(String)

  var count: Int {
    switch self {
    case .strings(let v): v.count
    case .signed(let v): v.count
    case .unsigned(let v): v.count
    case .floats(let v): v.count
    case .unsupported: 0
    }
  }

  /// The numbers as `T`; integers must fit exactly, floats only convert to floats.
  func numbers<T: H5Element>(as type: T.Type, _ object: String) throws -> [T] {
    func fail(_ found: String) -> H5StoreError {
      .typeMismatch(object: object, expected: "numbers (\(T.h5TypeName))", found: found)
    }
    switch self {
    case .floats(let v):
      if T.self == Float.self { return v.map { Float($0) } as! [T] }
      if T.self == Double.self { return v as! [T] }
      throw fail("floats")
    case .signed(let v):
      return try v.map { value throws(H5StoreError) -> T in
        guard let t = Self.integer(value, as: T.self) else { throw fail("integer \(value)") }
        return t
      }
    case .unsigned(let v):
      return try v.map { value throws(H5StoreError) -> T in
        guard let t = Self.integer(value, as: T.self) else { throw fail("integer \(value)") }
        return t
      }
    case .strings: throw fail("strings")
    case .unsupported(let what): throw fail(what)
    }
  }

  private static func integer<I: BinaryInteger, T: H5Element>(_ value: I, as type: T.Type) -> T? {
    switch T.self {
    case is Float.Type: return Float(value) as? T
    case is Double.Type: return Double(value) as? T
    case is Int64.Type: return Int64(exactly: value) as? T
    case is UInt64.Type: return UInt64(exactly: value) as? T
    case is Int32.Type: return Int32(exactly: value) as? T
    case is UInt32.Type: return UInt32(exactly: value) as? T
    case is Int8.Type: return Int8(exactly: value) as? T
    case is UInt8.Type: return UInt8(exactly: value) as? T
    default: return nil
    }
  }
}

/// A dataset of a snapshot: its extent and every element, row-major.
public struct H5SnapshotDataset: Sendable, Equatable {
  public let path: String
  public let extent: [Int]
  let values: H5SnapshotValues

  public func shape() -> [Int] { extent }

  public func read<T: H5Element>(as type: T.Type = T.self) throws -> [T] {
    try values.numbers(as: type, path)
  }
}

/// A group of a snapshot, with the API of `H5Group` the model and checkpoint readers use.
public struct H5SnapshotGroup: Sendable, Equatable {
  public let path: String
  package var attributes: [String: H5SnapshotValues] = [:]
  var groups: [String: H5SnapshotGroup] = [:]
  var datasets: [String: H5SnapshotDataset] = [:]

  package init(path: String) { self.path = path }

  public func hasAttribute(_ name: String) -> Bool { attributes[name] != nil }

  public func stringArrayAttribute(_ name: String) throws -> [String] {
    switch try attribute(named: name) {
    case .strings(let v): return v
    case .unsupported(let what): throw mismatch(name, "strings", what)
    default: throw mismatch(name, "strings", "numbers")
    }
  }

  public func stringAttribute(_ name: String) throws -> String {
    let values = try stringArrayAttribute(name)
    guard values.count == 1 else { throw mismatch(name, "one string", "\(values.count) strings") }
    return values[0]
  }

  public func arrayAttribute<T: H5Element>(_ name: String, as type: T.Type = T.self) throws -> [T] {
    try attribute(named: name).numbers(as: type, "\(path)@\(name)")
  }

  public func attribute<T: H5Element>(_ name: String, as type: T.Type = T.self) throws -> T {
    let values = try arrayAttribute(name, as: type)
    guard values.count == 1 else { throw mismatch(name, "one number", "\(values.count) numbers") }
    return values[0]
  }

  /// Whether `name` (a member name or a relative path) exists.
  public func contains(_ name: String) -> Bool {
    let (parent, last) = split(name)
    guard let parent else { return false }
    return parent.groups[last] != nil || parent.datasets[last] != nil
  }

  public func group(_ name: String) throws -> H5SnapshotGroup {
    let (parent, last) = split(name)
    guard let found = parent?.groups[last] else { throw missing(name) }
    return found
  }

  public func dataset(_ name: String) throws -> H5SnapshotDataset {
    let (parent, last) = split(name)
    guard let found = parent?.datasets[last] else { throw missing(name) }
    return found
  }

  private func attribute(named name: String) throws -> H5SnapshotValues {
    guard let value = attributes[name] else { throw H5StoreError.missingObject(path: "\(path)@\(name)") }
    return value
  }

  /// The group holding the last component of `name`, and that component.
  private func split(_ name: String) -> (H5SnapshotGroup?, String) {
    var parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard let last = parts.popLast() else { return (nil, "") }
    var current: H5SnapshotGroup? = self
    for part in parts { current = current?.groups[part] }
    return (current, last)
  }

  private func missing(_ name: String) -> H5StoreError {
    .missingObject(path: path == "/" ? "/\(name)" : "\(path)/\(name)")
  }

  private func mismatch(_ name: String, _ expected: String, _ found: String) -> H5StoreError {
    .typeMismatch(object: "\(path)@\(name)", expected: expected, found: found)
  }
}

/// Reading a file into a snapshot, in this process. Untrusted files go through `IsolatedRead`.
public enum H5Snapshot {
  /// Nesting deeper than this is refused (hard links can make cycles).
  static let maxDepth = 32
  /// More objects than this is refused: no model or checkpoint comes close.
  static let maxObjects = 100_000

  /// Reads every group, group attribute and numeric dataset of `path` (without `data`, only the
  /// datasets' extents).
  public static func take(path: String, data: Bool = true) throws -> H5SnapshotGroup {
    let file = try H5File(opening: path, mode: .readOnly)
    defer { try? file.close() }
    let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    var walker = Walker(path: path, fileSize: size, readData: data)
    return try walker.walk(try file.root(), depth: 0)
  }

  struct Walker {
    let path: String
    let fileSize: Int
    let readData: Bool
    var objects = 0

    mutating func walk(_ group: H5Group, depth: Int) throws -> H5SnapshotGroup {
      guard depth < H5Snapshot.maxDepth else {
        throw H5StoreError.corrupt(path: path, detail: "groups nest deeper than \(H5Snapshot.maxDepth)")
      }
      var out = H5SnapshotGroup(path: group.path)
      for name in try group.attributeNames() {
        out.attributes[name] = try attribute(group, name)
      }
      for name in try group.memberNames() {
        objects += 1
        guard objects <= H5Snapshot.maxObjects else {
          throw H5StoreError.corrupt(path: path, detail: "more than \(H5Snapshot.maxObjects) objects")
        }
        // Soft and external links are not followed: an external one would open another file.
        guard try group.isHardLink(name) else { continue }
        switch try group.kind(of: name) {
        case .group: out.groups[name] = try walk(try group.group(name), depth: depth + 1)
        case .dataset: out.datasets[name] = try dataset(try group.dataset(name))
        case .other: continue
        }
      }
      return out
    }

    private func attribute(_ group: H5Group, _ name: String) throws -> H5SnapshotValues {
      let (type, count) = try group.attributeTypeAndCount(name)
      try checkSize(count, type, "\(group.qualifiedName)@\(name)")
      switch type {
      case .string: return .strings(try group.stringArrayAttribute(name))
      case .integer(_, let signed):
        return signed
          ? .signed(try group.arrayAttribute(name, as: Int64.self))
          : .unsigned(try group.arrayAttribute(name, as: UInt64.self))
      case .float: return .floats(try group.arrayAttribute(name, as: Double.self))
      case .other(let what): return .unsupported(what)
      }
    }

    private func dataset(_ d: H5Dataset) throws -> H5SnapshotDataset {
      let extent = try d.shape()
      let type = try d.elementType()
      var count = 1
      for n in extent {
        let (product, overflow) = count.multipliedReportingOverflow(by: n)
        guard !overflow else {
          throw H5StoreError.corrupt(path: path, detail: "\(d.path) has extent \(extent)")
        }
        count = product
      }
      // Compressed data may be larger than the file; contiguous data never is.
      if try d.chunkShape() == nil { try checkSize(count, type, d.qualifiedName) }
      guard readData else {
        return H5SnapshotDataset(path: d.path, extent: extent, values: .unsupported("not read"))
      }
      let values: H5SnapshotValues
      switch type {
      case .integer(_, let signed):
        values = signed ? .signed(try d.read(as: Int64.self)) : .unsigned(try d.read(as: UInt64.self))
      case .float: values = .floats(try d.read(as: Double.self))
      case .string: values = .unsupported("strings")
      case .other(let what): values = .unsupported(what)
      }
      return H5SnapshotDataset(path: d.path, extent: extent, values: values)
    }

    /// A damaged header can claim more elements than the file holds; refuse before allocating.
    private func checkSize(_ count: Int, _ type: H5TypeClass, _ object: String) throws {
      let element: Int
      switch type {
      case .integer(let bytes, _), .float(let bytes): element = max(bytes, 1)
      case .string: element = 1
      case .other: return
      }
      let (bytes, overflow) = count.multipliedReportingOverflow(by: element)
      guard !overflow, bytes <= fileSize else {
        throw H5StoreError.corrupt(
          path: path, detail: "\(object) claims \(count) elements, more than the \(fileSize)-byte file holds")
      }
    }
  }
}
