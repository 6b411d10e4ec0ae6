// Lambda recognition and normalization parsing: marshalled code is decoded, never run; anything
// but an affine function of x is refused; damaged bytes never crash the reader.
import Foundation
import H5Store
import Testing
@testable import ConvNet

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
    let bytes = try #require(LambdaNormalization.codeBytes(fromFunction: try lambdaFunction("keras_2_2_4_unknown_lambda.h5")))
    #expect(throws: MarshalError.self) { try LambdaNormalization.recognise(code: bytes).get() }
  }

  @Test func damagedCodeFailsCleanly() throws {
    let bytes = try #require(LambdaNormalization.codeBytes(fromFunction: try lambdaFunction("keras_2_2_4.h5")))
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
      #expect(throws: ModelFileError.self, "\(bad)") { try Normalization(parsing: bad) }
    }
    #expect(Normalization.symmetric.description == "x/127.5-1")
    #expect(Normalization.centred.description == "x/255-0.5")
  }
}
