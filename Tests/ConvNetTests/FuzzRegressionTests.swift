import Foundation
import Testing

@testable import ConvNet
@testable import ModelFile

/// Configs and marshal data the fuzz targets (Fuzz/, docs/fuzzing.md) found or were built to find:
/// each must throw a ModelFileError (or MarshalError), never trap or allocate gigabytes.
@Suite struct FuzzRegressionTests {
  /// A Keras 2.2+ Sequential config with `layers` after an input of `shape`.
  static func config(shape: String = "[null, 8, 8, 3]", _ layers: String...) -> String {
    let input = #"{"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": \#(shape)}}"#
    return #"{"class_name": "Sequential", "config": {"name": "s", "layers": ["#
      + ([input] + layers).joined(separator: ", ") + "]}}"
  }

  static func importing(_ text: String) throws(ModelFileError) {
    _ = try KerasModelReader.importLayers(
      modelConfig: text, options: KerasLoadOptions(threads: 1), path: "fuzz")
  }

  static func conv(_ fields: String) -> String {
    #"{"class_name": "Conv2D", "config": {"name": "c", \#(fields)}}"#
  }

  @Test func reasonableConfigStillImports() throws {
    try Self.importing(
      Self.config(
        Self.conv(#""filters": 4, "kernel_size": [3, 3], "strides": [1, 1]"#),
        #"{"class_name": "Flatten", "config": {"name": "f"}}"#,
        #"{"class_name": "Dense", "config": {"name": "d", "units": 1}}"#))
  }

  /// Numbers that are not integers below 1e9 used to trap in Int(...) conversions.
  @Test func hugeOrFractionalNumbersAreRefused() {
    let configs = [
      Self.config(shape: "[null, 1e300, 8, 3]", #"{"class_name": "Flatten", "config": {"name": "f"}}"#),
      Self.config(Self.conv(#""filters": 4, "kernel_size": 1e300"#)),
      Self.config(Self.conv(#""filters": 4, "kernel_size": [3, -1e19]"#)),
      Self.config(Self.conv(#""filters": 4, "kernel_size": 3, "strides": 2.5"#)),
      Self.config(
        #"{"class_name": "Cropping2D", "config": {"name": "k", "cropping": [[1e300, 0], [0, 0]]}}"#),
      Self.config(#"{"class_name": "Cropping2D", "config": {"name": "k", "cropping": 1e19}}"#),
      Self.config(#"{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [1e300, 2]}}"#),
    ]
    for text in configs {
      #expect(throws: ModelFileError.self, "\(text)") { try Self.importing(text) }
    }
  }

  /// Sizes a hostile config could use to allocate gigabytes, or zero/negative sizes.
  @Test func outOfRangeSizesAreRefused() {
    let flat = #"{"class_name": "Flatten", "config": {"name": "f"}}"#
    let configs = [
      Self.config(Self.conv(#""filters": 500000000, "kernel_size": 3"#)),
      Self.config(Self.conv(#""filters": -4, "kernel_size": 3"#)),
      Self.config(Self.conv(#""filters": 4, "kernel_size": 0"#)),
      Self.config(Self.conv(#""filters": 4, "kernel_size": 3, "strides": 0"#)),
      Self.config(flat, #"{"class_name": "Dense", "config": {"name": "d", "units": 0}}"#),
      // Each layer is within the unit cap; the second has 65536 x 65536 parameters.
      Self.config(
        flat, #"{"class_name": "Dense", "config": {"name": "d1", "units": 65536}}"#,
        #"{"class_name": "Dense", "config": {"name": "d2", "units": 65536}}"#),
      Self.config(shape: "[null, 65536, 65536, 3]", flat),
      Self.config(shape: "[null, 0, 8, 3]", flat),
      Self.config(#"{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": 0}}"#),
      Self.config(#"{"class_name": "Cropping2D", "config": {"name": "k", "cropping": -1}}"#),
    ]
    for text in configs {
      #expect(throws: ModelFileError.self, "\(text)") { try Self.importing(text) }
    }
  }

  /// Found by FuzzMarshal: nested tuples recursed until the stack overflowed.
  @Test func deeplyNestedMarshalIsRefused() {
    // 'c' code object header (5 fields), bytecode 's', then constants: 100 nested 1-tuples.
    var bytes: [UInt8] = [UInt8(ascii: "c")] + [UInt8](repeating: 0, count: 20)
    bytes += [UInt8(ascii: "s"), 2, 0, 0, 0, 0x53, 0]
    for _ in 0..<100 { bytes += [UInt8(ascii: ")"), 1] }
    bytes += [UInt8(ascii: "N")]
    #expect(throws: MarshalError.self) { try MarshalReader.code(from: bytes) }
    let deep = Array(repeatElement([UInt8(ascii: ")"), 1], count: 100_000).joined())
    #expect(throws: MarshalError.self) { try MarshalReader.code(from: deep) }
  }

  @Test func trainingConfigOddValuesDoNotTrap() {
    #expect(KerasOptimizerReader.adam(trainingConfig: "[1e999") == nil)
    let huge = #"{"optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 1e300}}}"#
    #expect(KerasOptimizerReader.adam(trainingConfig: huge) != nil)
  }
}
