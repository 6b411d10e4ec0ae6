// A reader for the subset of CPython's `marshal` format that a Keras Lambda's code object uses.
// It only reads data (constants, byte strings): nothing is ever executed. Floats are type 'g'
// (8-byte little-endian double), ints 'i' (int32 LE); the 0x80 flag marks an object that later
// 'r' references may point to.
import ConvNet

/// A decoded marshal value (only what a lambda's constants can hold).
package indirect enum MarshalValue: Equatable, Sendable {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case bytes([UInt8])
  case string(String)
  case tuple([MarshalValue])
  case code(MarshalCode)
  case other(String)

  package var number: Double? {
    switch self {
    case .int(let v): Double(v)
    case .float(let v): v
    case .bool(let b): b ? 1 : 0
    default: nil
    }
  }
}

/// The parts of a code object a lambda recogniser needs.
package struct MarshalCode: Equatable, Sendable {
  /// Raw (unsigned 32-bit) header fields before the bytecode: their count tells the Python version.
  package var header: [UInt32]
  package var bytecode: [UInt8]
  package var constants: [MarshalValue]
}

package struct MarshalError: Error, Equatable, Sendable {
  package var message: String
  init(_ message: String) { self.message = message }
}

package struct MarshalReader {
  private let bytes: [UInt8]
  private var position = 0
  private var references: [MarshalValue] = []
  private var depth = 0
  /// Nesting of tuples and code objects; a lambda's constants are 2 or 3 deep. Deeper input is
  /// hostile and would otherwise recurse until the stack overflows.
  package static let maximumDepth = 64

  package init(bytes: [UInt8]) { self.bytes = bytes }

  /// Parses one top-level object, which must be a code object.
  package static func code(from bytes: [UInt8]) throws(MarshalError) -> MarshalCode {
    // The header's field count differs by Python version (2.7: 4, 3.5-3.7 and 3.11+: 5, 3.8-3.10: 6);
    // the right one is followed by the bytecode's bytes object ('s').
    var lastError = MarshalError("empty")
    for fields in [5, 6, 4] {
      var reader = MarshalReader(bytes: bytes)
      do throws(MarshalError) {
        if case .code(let code) = try reader.readObject(codeFields: fields) { return code }
        lastError = MarshalError("the marshalled object is not a code object")
      } catch { lastError = error }
    }
    throw lastError
  }

  private mutating func byte() throws(MarshalError) -> UInt8 {
    guard position < bytes.count else { throw MarshalError("truncated at byte \(position)") }
    defer { position += 1 }
    return bytes[position]
  }

  private mutating func take(_ n: Int) throws(MarshalError) -> [UInt8] {
    guard n >= 0, position + n <= bytes.count else {
      throw MarshalError("truncated: need \(n) bytes at \(position)")
    }
    defer { position += n }
    return Array(bytes[position..<(position + n)])
  }

  private mutating func uint32() throws(MarshalError) -> UInt32 {
    let b = try take(4)
    return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
  }

  private mutating func int32() throws(MarshalError) -> Int { Int(Int32(bitPattern: try uint32())) }

  private mutating func count() throws(MarshalError) -> Int {
    let n = try int32()
    guard n >= 0, n <= bytes.count else { throw MarshalError("bad length \(n) at \(position)") }
    return n
  }

  package mutating func readObject(codeFields: Int) throws(MarshalError) -> MarshalValue {
    guard depth < Self.maximumDepth else {
      throw MarshalError("nested deeper than \(Self.maximumDepth) at byte \(position)")
    }
    depth += 1
    defer { depth -= 1 }
    let tag = try byte()
    let flagged = tag & 0x80 != 0
    var slot: Int?
    if flagged {
      slot = references.count
      references.append(.other("placeholder"))
    }
    let value = try readBody(type: tag & 0x7F, codeFields: codeFields)
    if let slot { references[slot] = value }
    return value
  }

  private mutating func readBody(type: UInt8, codeFields: Int) throws(MarshalError) -> MarshalValue {
    switch Character(UnicodeScalar(type)) {
    case "N": return .none
    case "F": return .bool(false)
    case "T": return .bool(true)
    case "S", ".", "0": return .other("singleton")
    case "i": return .int(try int32())
    case "l":
      let digits = try int32()
      guard abs(digits) <= 64 else { throw MarshalError("long of \(digits) digits") }
      var value = 0.0
      for (k, chunk) in try (0..<abs(digits)).map({ (_) throws(MarshalError) in try take(2) }).enumerated() {
        value += Double(Int(chunk[0]) | Int(chunk[1]) << 8) * pow15(k)
      }
      return .float(digits < 0 ? -value : value)
    case "g":
      let b = try take(8)
      var bits: UInt64 = 0
      for k in 0..<8 { bits |= UInt64(b[k]) << (8 * UInt64(k)) }
      return .float(Double(bitPattern: bits))
    case "f":
      let n = Int(try byte())
      guard let v = Double(String(decoding: try take(n), as: UTF8.self)) else {
        throw MarshalError("bad text float")
      }
      return .float(v)
    case "y":
      _ = try take(16)
      return .other("complex")
    case "s": return .bytes(try take(try count()))
    case "t", "u", "a", "A": return .string(String(decoding: try take(try count()), as: UTF8.self))
    case "z", "Z": return .string(String(decoding: try take(Int(try byte())), as: UTF8.self))
    case "R":
      let index = try count()
      guard index < references.count else { throw MarshalError("bad string reference \(index)") }
      return references[index]
    case "r":
      let index = try count()
      guard index < references.count else { throw MarshalError("bad reference \(index)") }
      return references[index]
    case "(", "[", "<", ">": return .tuple(try items(try count(), codeFields))
    case ")": return .tuple(try items(Int(try byte()), codeFields))
    case "c": return .code(try readCode(fields: codeFields))
    default: throw MarshalError("unsupported marshal type 0x\(String(type, radix: 16)) at \(position - 1)")
    }
  }

  private mutating func items(_ n: Int, _ codeFields: Int) throws(MarshalError) -> [MarshalValue] {
    var out: [MarshalValue] = []
    for _ in 0..<n { out.append(try readObject(codeFields: codeFields)) }
    return out
  }

  private mutating func readCode(fields: Int) throws(MarshalError) -> MarshalCode {
    var header: [UInt32] = []
    for _ in 0..<fields { header.append(try uint32()) }
    guard position < bytes.count, bytes[position] & 0x7F == UInt8(ascii: "s") else {
      throw MarshalError("no bytecode after \(fields) header fields")
    }
    guard case .bytes(let bytecode) = try readObject(codeFields: fields) else {
      throw MarshalError("bytecode is not bytes")
    }
    guard case .tuple(let constants) = try readObject(codeFields: fields) else {
      throw MarshalError("constants are not a tuple")
    }
    // The rest (names, line tables...) is not needed; stop reading here.
    return MarshalCode(header: header, bytecode: bytecode, constants: constants)
  }
}

private func pow15(_ k: Int) -> Double {
  var v = 1.0
  for _ in 0..<k { v *= 32768 }
  return v
}
