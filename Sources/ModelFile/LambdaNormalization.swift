// Recognising a Keras Lambda's normalization without running it: decode the marshalled code
// object (never executed) and interpret its bytecode symbolically over the one argument x. Only
// loads of x and constants, + - * /, unary minus and return are understood; the result must be
// affine, x * scale + offset. Everything else (calls, attribute lookups, closures) is refused.
import ConvNet
import DrivingData
import Foundation

enum LambdaNormalization {
  /// The function field of a Lambda config: [code, defaults, closure] (Keras 1/2), a dict with
  /// "code" (Keras 3), or a bare string. Code text is base64 (2.2+) or raw_unicode_escape (1.x, 2.0.x).
  static func codeBytes(fromFunction function: Any?) -> [UInt8]? {
    var text: String?
    if let list = function as? [Any] { text = list.first as? String }
    if let dict = function as? [String: Any] {
      text = (dict["code"] as? String) ?? ((dict["config"] as? [String: Any])?["code"] as? String)
    }
    if let s = function as? String { text = s }
    guard let text else { return nil }
    let compact = text.filter { !$0.isWhitespace }
    if !compact.isEmpty,
      compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/=".contains($0)) }),
      let data = Data(base64Encoded: compact), let first = data.first, first & 0x7F == UInt8(ascii: "c")
    {
      return [UInt8](data)
    }
    return rawUnicodeEscapeBytes(text)
  }

  /// Inverse of Python's `bytes.decode('raw_unicode_escape')`: code points below 256 are the bytes
  /// themselves; others were written as \uXXXX by the encoder.
  static func rawUnicodeEscapeBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for scalar in text.unicodeScalars {
      if scalar.value < 256 {
        out.append(UInt8(scalar.value))
      } else if scalar.value <= 0xFFFF {
        out += Array(String(format: "\\u%04x", scalar.value).utf8)
      } else {
        out += Array(String(format: "\\U%08x", scalar.value).utf8)
      }
    }
    return out
  }

  /// The affine map the code computes, or a reason it is not one.
  static func recognise(code bytes: [UInt8]) -> Result<Normalization, MarshalError> {
    let code: MarshalCode
    do { code = try MarshalReader.code(from: bytes) } catch { return .failure(error) }
    var reasons: [String] = []
    for dialect in Dialect.allCases {
      switch interpret(code, dialect) {
      case .success(let n): return .success(n)
      case .failure(let e): reasons.append("\(dialect): \(e.message)")
      }
    }
    return .failure(MarshalError(reasons.joined(separator: "; ")))
  }

  /// Bytecode encodings: 2.7/3.5 (1 byte, or 3 with an argument), 3.6-3.10 wordcode, 3.11+
  /// wordcode with BINARY_OP and inline cache entries.
  enum Dialect: CaseIterable { case bytes, wordcode, binaryOp }

  /// A symbolic stack value: x * a + b, or a constant.
  private enum Symbol {
    case affine(Double, Double)
    case constant(Double)
  }

  private static func interpret(_ code: MarshalCode, _ dialect: Dialect) -> Result<
    Normalization, MarshalError
  > {
    let ops = code.bytecode
    var stack: [Symbol] = []
    var pc = 0
    var extended = 0
    while pc < ops.count {
      let op = Int(ops[pc])
      var arg = 0
      switch dialect {
      case .bytes:
        if op >= 90 {
          guard pc + 2 < ops.count else { return .failure(MarshalError("truncated bytecode")) }
          arg = Int(ops[pc + 1]) | Int(ops[pc + 2]) << 8
          pc += 3
        } else {
          pc += 1
        }
      case .wordcode, .binaryOp:
        guard pc + 1 < ops.count else { return .failure(MarshalError("odd bytecode length")) }
        arg = Int(ops[pc + 1]) | extended << 8
        pc += 2
      }
      if op == 144 {  // EXTENDED_ARG
        extended = arg
        continue
      }
      extended = 0
      switch (dialect, op) {
      case (.binaryOp, 0), (.binaryOp, 151), (_, 9): continue  // CACHE, RESUME, NOP
      case (_, 124):  // LOAD_FAST
        guard arg == 0 else { return .failure(MarshalError("reads a local other than x")) }
        stack.append(.affine(1, 0))
      case (_, 100):  // LOAD_CONST
        guard arg < code.constants.count, let v = code.constants[arg].number else {
          return .failure(MarshalError("loads a non-numeric constant"))
        }
        stack.append(.constant(v))
      case (.binaryOp, 121):  // RETURN_CONST (3.12)
        return .failure(MarshalError("returns a constant"))
      case (_, 83):  // RETURN_VALUE
        guard stack.count == 1, case .affine(let a, let b) = stack[0], a != 0, a.isFinite, b.isFinite else {
          return .failure(MarshalError("does not return an affine function of x"))
        }
        return .success(Normalization(scale: a, offset: b))
      case (_, 11):  // UNARY_NEGATIVE
        guard let top = stack.popLast() else { return .failure(MarshalError("stack underflow")) }
        stack.append(negate(top))
      case (.binaryOp, 122):  // BINARY_OP with NB_* argument
        let kinds: [Int: Character] = [0: "+", 5: "*", 10: "-", 11: "/", 13: "+", 18: "*", 23: "-", 24: "/"]
        guard let kind = kinds[arg] else { return .failure(MarshalError("binary operation \(arg)")) }
        guard apply(kind, &stack) else { return .failure(MarshalError("non-affine \(kind)")) }
      case (.bytes, 20), (.wordcode, 20), (.bytes, 21), (.wordcode, 21), (.bytes, 23), (.wordcode, 23),
        (.bytes, 24), (.wordcode, 24), (.bytes, 27), (.wordcode, 27):
        let kind: Character = [20: "*", 21: "/", 23: "+", 24: "-", 27: "/"][op]!
        guard apply(kind, &stack) else { return .failure(MarshalError("non-affine \(kind)")) }
      default:
        return .failure(MarshalError("opcode \(op) is not arithmetic on x"))
      }
    }
    return .failure(MarshalError("no return"))
  }

  private static func negate(_ s: Symbol) -> Symbol {
    switch s {
    case .affine(let a, let b): .affine(-a, -b)
    case .constant(let c): .constant(-c)
    }
  }

  private static func apply(_ kind: Character, _ stack: inout [Symbol]) -> Bool {
    guard stack.count >= 2 else { return false }
    let rhs = stack.removeLast()
    let lhs = stack.removeLast()
    let result: Symbol?
    switch (lhs, rhs, kind) {
    case (.constant(let p), .constant(let q), _):
      result = .constant(kind == "+" ? p + q : kind == "-" ? p - q : kind == "*" ? p * q : p / q)
    case (.affine(let a, let b), .constant(let c), "+"): result = .affine(a, b + c)
    case (.affine(let a, let b), .constant(let c), "-"): result = .affine(a, b - c)
    case (.affine(let a, let b), .constant(let c), "*"): result = .affine(a * c, b * c)
    case (.affine(let a, let b), .constant(let c), "/"): result = c == 0 ? nil : .affine(a / c, b / c)
    case (.constant(let c), .affine(let a, let b), "+"): result = .affine(a, b + c)
    case (.constant(let c), .affine(let a, let b), "-"): result = .affine(-a, c - b)
    case (.constant(let c), .affine(let a, let b), "*"): result = .affine(a * c, b * c)
    case (.affine(let a, let b), .affine(let p, let q), "+"): result = .affine(a + p, b + q)
    case (.affine(let a, let b), .affine(let p, let q), "-"): result = .affine(a - p, b - q)
    default: result = nil
    }
    guard let result else { return false }
    stack.append(result)
    return true
  }
}
