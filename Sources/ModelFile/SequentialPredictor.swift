// A loaded network behind the input pipeline it was trained with: what `Drive model.h5` drives with,
// what `Predict` prints, and what `Bench drive` times.
import ConvNet
import DrivingData

/// A ConvNet `Sequential` behind its `InputPipeline`. The prepared uint8 frame goes into the
/// model's allocation-free single-image path (the model's own layers crop again and normalize).
public struct SequentialPredictor: SteeringPredictor {
  public let model: Sequential
  var preparer: FramePreparer

  public var pipeline: InputPipeline { preparer.pipeline }

  /// Checks the pipeline ends in the model's input shape (for its source size, when known).
  public init(model: Sequential, pipeline: InputPipeline) throws(ModelFileError) {
    guard pipeline.modelInputShape == model.inputShape else {
      throw .invalidArgument(
        "the input pipeline feeds \(pipeline.modelInputShape) but the model takes \(model.inputShape)")
    }
    if let w = pipeline.sourceWidth, let h = pipeline.sourceHeight {
      do { try pipeline.check(frameWidth: w, height: h) } catch { throw .invalidArgument("\(error)") }
    }
    self.model = model
    // Only the rows the network's leading crop keeps are resized (73 of 128 for the seed's).
    let read = model.inputRowsRead
    preparer = FramePreparer(pipeline: pipeline, rows: read == 0..<(model.inputShape.first ?? 0) ? nil : read)
  }

  /// The frame rows the prepared rows come from (nil when every row is read or the size does not
  /// fit the pipeline, whose error `steering(for:)` then reports).
  public func frameRows(width: Int, height: Int) -> Range<Int>? {
    guard preparer.rows != nil, let rows = try? preparer.frameRows(width: width, height: height) else {
      return nil
    }
    return rows == 0..<height ? nil : rows
  }

  /// From a loaded `model.h5`: its network and its stored (or stated) pipeline.
  public init(loaded: LoadedKerasModel) throws(ModelFileError) {
    try self.init(model: loaded.model, pipeline: loaded.pipeline)
  }

  /// Loads `path` for inference (no optimizer state) and checks, now rather than on every frame,
  /// that its source frame (the simulator's when the file does not say) becomes the model's input.
  /// Errors name the file and what was wrong.
  public static func load(
    path: String, options: KerasLoadOptions = KerasLoadOptions(loadOptimizer: false, threads: 1),
    isolated: Bool = false
  ) throws(ModelFileError) -> (predictor: SequentialPredictor, loaded: LoadedKerasModel) {
    let loaded = try KerasModelFile.load(path: path, options: options, isolated: isolated)
    let pipeline = loaded.pipeline
    do {
      // `init` checks a pipeline that states its source size; one that does not must fit the simulator's.
      if pipeline.sourceWidth == nil || pipeline.sourceHeight == nil {
        let frame = InputPipeline.simulatorFrame
        try pipeline.check(frameWidth: frame.width, height: frame.height)
      }
      return (try SequentialPredictor(loaded: loaded), loaded)
    } catch {
      throw .invalidArgument("\(path): \(error)")
    }
  }

  // image: (h, w, 3) RGB camera frame -> steering
  public mutating func steering(for image: RGBImage) throws -> Float {
    let input = try preparer.prepare(image)
    return try input.pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
  }
}
