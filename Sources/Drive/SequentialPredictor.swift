import ConvNet
import DrivingData
import ModelFile

/// A ConvNet `Sequential` behind its input pipeline: what `Drive model.h5` drives with, and what
/// `Bench drive` times with the seed network. The prepared uint8 frame goes into the model's
/// allocation-free single-image path (the model's own layers crop again and normalize).
public struct SequentialPredictor: SteeringPredictor {
  public let model: Sequential
  private var preparer: FramePreparer

  public var pipeline: InputPipeline { preparer.pipeline }

  /// Checks the pipeline ends in the model's input shape (for its source size, when known).
  public init(model: Sequential, pipeline: InputPipeline) throws {
    guard pipeline.modelInputShape == model.inputShape else {
      throw DriveError.invalidOption(
        "the input pipeline feeds \(pipeline.modelInputShape) but the model takes \(model.inputShape)")
    }
    if let w = pipeline.sourceWidth, let h = pipeline.sourceHeight {
      do { try pipeline.check(frameWidth: w, height: h) } catch { throw DriveError.invalidOption("\(error)") }
    }
    self.model = model
    preparer = FramePreparer(pipeline: pipeline)
  }

  /// From a loaded `model.h5`: its network and its stored (or stated) pipeline.
  public init(loaded: LoadedKerasModel) throws {
    try self.init(model: loaded.model, pipeline: loaded.pipeline)
  }

  public mutating func steering(for image: RGBImage) throws -> Float {
    let input = try preparer.prepare(image)
    return try input.pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
  }
}
