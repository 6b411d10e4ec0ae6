// Lambda recognition and normalization parsing: marshalled code is decoded, never run; anything
// but an affine function of x is refused; damaged bytes never crash the reader.
import DrivingData
import Foundation
import HDF5
import Testing

@testable import ConvNet
@testable import ModelFile

@Suite struct ModelFileLambdaTests {
  /// The Lambda's `function` entry of a fixture's model_config.
  func lambdaFunction(_ fixture: String) throws -> Any? {
    let file = try H5File(opening: KerasFixtures.path(fixture))
    defer { try? file.close() }
    let text = try file.root().stringAttribute("model_config")
    let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    let config = json?["config"]
    let layers = (config as? [Any]) ?? ((config as? [String: Any])?["layers"] as? [Any]) ?? []
    let lambda = layers.compactMap { $0 as? [String: Any] }.first { $0["class_name"] as? String == "Lambda" }
    return (lambda?["config"] as? [String: Any])?["function"]
  }

  @Test func recognisesBothEncodingsAndBothConstants() throws {
    let cases: [(String, Normalization)] = [
      ("keras_1_2.h5", .symmetric), ("keras_2_0_8.h5", .centred), ("keras_2_2_4.h5", .symmetric),
    ]
    for (fixture, expected) in cases {
      let bytes = try #require(LambdaNormalization.codeBytes(fromFunction: try lambdaFunction(fixture)))
      let n = try LambdaNormalization.recognise(code: bytes).get()
      #expect(n.isClose(to: expected), "\(fixture): \(n)")
    }
  }

  @Test func refusesAFunctionCall() throws {
    let bytes = try #require(
      LambdaNormalization.codeBytes(fromFunction: try lambdaFunction("keras_2_2_4_unknown_lambda.h5")))
    #expect(throws: MarshalError.self) { try LambdaNormalization.recognise(code: bytes).get() }
  }

  @Test func damagedCodeFailsCleanly() throws {
    let bytes = try #require(
      LambdaNormalization.codeBytes(fromFunction: try lambdaFunction("keras_2_2_4.h5")))
    // Every truncation and every single-byte corruption: an answer or an error, never a crash.
    // The reader stops after the constants, so a prefix holding code and constants still answers,
    // and must answer the same; shorter prefixes must fail.
    var failures = 0
    for n in 0..<bytes.count {
      switch LambdaNormalization.recognise(code: Array(bytes.prefix(n))) {
      case .failure: failures += 1
      case .success(let v): #expect(v.isClose(to: .symmetric), "prefix \(n): \(v)")
      }
    }
    #expect(failures > 20)
    if case .success = LambdaNormalization.recognise(code: Array(bytes.prefix(failures - 1))) {
      Issue.record("prefix \(failures - 1) should fail")
    }
    for i in 0..<bytes.count {
      var damaged = bytes
      damaged[i] ^= 0xA5
      _ = LambdaNormalization.recognise(code: damaged)
    }
  }

  @Test func rawUnicodeEscapeInverse() {
    #expect(LambdaNormalization.rawUnicodeEscapeBytes("a\u{E3}\u{0}") == [0x61, 0xE3, 0])
    #expect(LambdaNormalization.rawUnicodeEscapeBytes("\u{263A}") == Array("\\u263a".utf8))
  }

  @Test func parsesNormalizationOptions() throws {
    #expect(try Normalization(parsing: "x/127.5-1").isClose(to: .symmetric))
    #expect(try Normalization(parsing: "x / 255 - 0.5").isClose(to: .centred))
    #expect(try Normalization(parsing: "x/255") == Normalization(scale: 1 / 255.0, offset: 0))
    #expect(try Normalization(parsing: "x*2+1e-1") == Normalization(scale: 2, offset: 0.1))
    for bad in ["", "y/2", "x/0", "x/abc", "x/2-", "x%2"] {
      #expect(throws: DrivingDataError.self, "\(bad)") { try Normalization(parsing: bad) }
    }
    #expect(Normalization.symmetric.description == "x/127.5-1")
    #expect(Normalization.centred.description == "x/255-0.5")
  }
}

/// Code objects hand-assembled in the layouts of the Pythons that wrote Keras 1/2 files (2.7, 3.5,
/// 3.6-3.7, 3.8-3.10), following CPython's marshal.c and opcode tables for each version.
@Suite struct ModelFileMarshalDialectTests {
  func int32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
  func double(_ v: Double) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) }
  }
  func code(header: [Int], bytecode: [UInt8], constants: [[UInt8]], smallTuple: Bool = true) -> [UInt8] {
    var out: [UInt8] = [0xE3] + header.flatMap(int32)
    out += [UInt8(ascii: "s")] + int32(bytecode.count) + bytecode
    out +=
      smallTuple ? [UInt8(ascii: ")"), UInt8(constants.count)] : [UInt8(ascii: "(")] + int32(constants.count)
    return out + constants.flatMap { $0 } + [UInt8(ascii: "N")]  // trailing names etc. are not read
  }
  var none: [UInt8] { [UInt8(ascii: "N")] }
  func float(_ v: Double) -> [UInt8] { [0xE7] + double(v) }
  func int(_ v: Int) -> [UInt8] { [0xE9] + int32(v) }

  func recognise(_ bytes: [UInt8]) throws -> Normalization {
    try LambdaNormalization.recognise(code: bytes).get()
  }

  @Test func python27ByteCodeWithBinaryDivide() throws {
    let ops: [UInt8] = [0x7C, 0, 0, 0x64, 1, 0, 0x15, 0x64, 2, 0, 0x18, 0x53]
    let n = try recognise(
      code(
        header: [1, 1, 2, 67], bytecode: ops, constants: [none, float(127.5), float(1)], smallTuple: false))
    #expect(n.isClose(to: .symmetric))
  }

  @Test func python35ByteCode() throws {
    let ops: [UInt8] = [0x7C, 0, 0, 0x64, 1, 0, 0x1B, 0x64, 2, 0, 0x18, 0x53]
    let n = try recognise(
      code(header: [1, 0, 1, 2, 67], bytecode: ops, constants: [none, int(255), float(0.5)]))
    #expect(n.isClose(to: .centred))
  }

  @Test func python36And38Wordcode() throws {
    let ops: [UInt8] = [0x7C, 0, 0x64, 1, 0x1B, 0, 0x64, 2, 0x18, 0, 0x53, 0]
    #expect(
      try recognise(
        code(header: [1, 0, 1, 2, 67], bytecode: ops, constants: [none, float(127.5), float(1)])
      ).isClose(to: .symmetric))
    #expect(
      try recognise(
        code(header: [1, 0, 0, 1, 2, 67], bytecode: ops, constants: [none, float(255), float(0.5)])
      ).isClose(to: .centred))
  }

  @Test func otherAffineFormsAndRefusals() throws {
    // (x - 128) * 0.0078125 in 3.6 wordcode -> scale 1/128, offset -1.
    let affine: [UInt8] = [0x7C, 0, 0x64, 1, 0x18, 0, 0x64, 2, 0x14, 0, 0x53, 0]
    let n = try recognise(
      code(header: [1, 0, 1, 2, 67], bytecode: affine, constants: [none, float(128), float(0.0078125)]))
    #expect(n == Normalization(scale: 0.0078125, offset: -1))
    // x * x is not affine.
    let square: [UInt8] = [0x7C, 0, 0x7C, 0, 0x14, 0, 0x53, 0]
    #expect(throws: MarshalError.self) {
      try recognise(code(header: [1, 0, 1, 2, 67], bytecode: square, constants: [none]))
    }
    // A global lookup (LOAD_GLOBAL 116) is refused.
    let global: [UInt8] = [0x74, 0, 0x7C, 0, 0x14, 0, 0x53, 0]
    #expect(throws: MarshalError.self) {
      try recognise(code(header: [1, 0, 1, 2, 67], bytecode: global, constants: [none]))
    }
    // A string constant is refused.
    let text: [UInt8] = [0x7C, 0, 0x64, 1, 0x17, 0, 0x53, 0]
    #expect(throws: MarshalError.self) {
      try recognise(
        code(header: [1, 0, 1, 2, 67], bytecode: text, constants: [none, [UInt8(ascii: "z"), 1, 0x41]]))
    }
  }
}
