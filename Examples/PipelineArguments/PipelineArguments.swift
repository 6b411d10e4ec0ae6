// The command-line forms of an input pipeline, declared once: `Drive` and `Predict` share
// `PipelineOptions`, and `TrainNvidia` takes the same `--crop` and `--color` values.
import ArgumentParser
import DrivingData
import ModelFile

/// `WIDTHxHEIGHT`, e.g. `128x128`.
public struct FrameSize: ExpressibleByArgument, Equatable, Sendable {
  public var width: Int
  public var height: Int

  public init(width: Int, height: Int) {
    (self.width, self.height) = (width, height)
  }

  public init?(argument: String) {
    guard let (w, h) = integerPair(argument.lowercased(), separator: "x"), w > 0, h > 0 else { return nil }
    self.init(width: w, height: h)
  }

  public var defaultValueDescription: String { "\(width)x\(height)" }
}

/// `TOP,BOTTOM` source rows, e.g. `60,25`.
public struct RowCrop: ExpressibleByArgument, Equatable, Sendable {
  public var top: Int
  public var bottom: Int

  public init(top: Int, bottom: Int) {
    (self.top, self.bottom) = (top, bottom)
  }

  public init?(argument: String) {
    guard let (t, b) = integerPair(argument, separator: ","), t >= 0, b >= 0 else { return nil }
    self.init(top: t, bottom: b)
  }

  public var defaultValueDescription: String { "\(top),\(bottom)" }
}

/// "A<separator>B" as two integers, nil for anything else.
private func integerPair(_ text: String, separator: Character) -> (Int, Int)? {
  let parts = text.split(separator: separator, omittingEmptySubsequences: false)
  guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
  return (a, b)
}

extension ColorSpace: ExpressibleByArgument {
  public init?(argument: String) {
    self.init(rawValue: argument.lowercased())
  }
}

extension Normalization: ExpressibleByArgument {
  /// `x/127.5-1`, `x/255-0.5`, `x*0.0078-1`...
  public init?(argument: String) {
    guard let value = try? Normalization(parsing: argument) else { return nil }
    self = value
  }

  public var defaultValueDescription: String { description }
}

/// The pipeline a model file does not state (Keras-trained files) or that the user overrides.
/// A file written by `TrainNvidia` carries its own, which wins when none of these is given.
public struct PipelineOptions: ParsableArguments {
  public init() {}

  @Option(
    help: ArgumentHelp(
      "Resize frames to WIDTHxHEIGHT (OpenCV INTER_LINEAR), e.g. 128x128.", valueName: "WIDTHxHEIGHT"))
  public var resize: FrameSize?

  @Option(help: ArgumentHelp("Source rows to crop before the resize, e.g. 60,25.", valueName: "TOP,BOTTOM"))
  public var crop: RowCrop?

  @Option(
    help: ArgumentHelp(
      "The normalization a Lambda layer performs (or to add), e.g. x/127.5-1 or x/255-0.5.",
      valueName: "x/D+O"))
  public var normalize: Normalization?

  @Option(help: "Colour space the model was trained on: rgb, bgr or yuv.")
  public var color: ColorSpace?

  /// Keras load options for inference (no optimizer state) with these overrides.
  public func loadOptions(threads: Int = 1) -> KerasLoadOptions {
    KerasLoadOptions(
      normalization: normalize, cropTop: crop?.top, cropBottom: crop?.bottom, resizeWidth: resize?.width,
      resizeHeight: resize?.height, colorSpace: color, loadOptimizer: false, threads: threads)
  }
}
