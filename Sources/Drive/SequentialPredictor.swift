import ConvNet
import DrivingData
import TensorCore

/// A ConvNet `Sequential` behind its input pipeline: the predictor `Drive model.h5` uses once the
/// model file is loaded, and the one `Bench drive` times with the seed network.
///
/// With `normalization: .none` (the seed: its own layers crop and scale) the resized uint8 frame goes
/// straight into the model's allocation-free single-image path; otherwise the pipeline's floats do.
public struct SequentialPredictor: SteeringPredictor {
  public let model: Sequential
  public let pipeline: InputPipeline
  // The reply path allocates nothing per frame: a resizer built for the camera size and its output.
  private var resizer: BilinearResizer?
  private var resized = RGBImage(width: 1, height: 1)

  /// Checks that the pipeline's output shape is the model's input shape.
  public init(model: Sequential, pipeline: InputPipeline, cameraWidth: Int = 320, cameraHeight: Int = 160) throws {
    let width = pipeline.resizeWidth ?? cameraWidth
    let height = (pipeline.resizeHeight ?? cameraHeight) - pipeline.cropTop - pipeline.cropBottom
    guard model.inputShape == [height, width, 3] else {
      throw DriveError.invalidOption(
        "input pipeline (\(pipeline)) makes \(height)x\(width)x3 images but the model takes \(model.inputShape)")
    }
    self.model = model
    self.pipeline = pipeline
  }

  public mutating func steering(for image: RGBImage) throws -> Float {
    if pipeline.normalization == .none, pipeline.cropTop == 0, pipeline.cropBottom == 0,
      let w = pipeline.resizeWidth, let h = pipeline.resizeHeight, w * 2 != image.width || h * 2 != image.height
    {
      if resizer?.sourceWidth != image.width || resizer?.sourceHeight != image.height {
        resizer = try BilinearResizer(sourceWidth: image.width, sourceHeight: image.height, width: w, height: h)
      }
      try resizer!.resize(image, into: &resized)
      return try resized.pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
    }
    if pipeline.normalization == .none {
      let prepared = try pipeline.resizeAndCrop(image)
      return try prepared.pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
    }
    let prepared = try pipeline.prepare(image)
    let x = try Tensor(shape: [1, prepared.height, prepared.width, 3], scalars: prepared.values)
    return try model.predict(x).scalars[0]
  }
}
