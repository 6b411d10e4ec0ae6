// VisualBackProp through a predictor's input pipeline: the model-input mask (ConvNet) mapped back
// onto the camera frame (DrivingData's inverse of the frame preparation).
import ConvNet
import DrivingData

extension SequentialPredictor: SaliencyPredictor {
  /// Steering and VisualBackProp saliency from one forward (`Sequential.predictWithSaliency`); the
  /// mask is resized back to the cropped frame, 0 in the cropped rows, and quantised per frame.
  // image: (h, w, 3) RGB camera frame -> steering, saliency (h, w)
  public mutating func steeringAndSaliency(for image: RGBImage) throws -> (
    steering: Float, saliency: SaliencyFrame
  ) {
    let input = try preparer.prepare(image)
    let (steering, mask) = try input.pixels.withUnsafeBufferPointer {
      try model.predictWithSaliency(image: $0)
    }
    let frame = try pipeline.frameMask(mask.values, frameWidth: image.width, frameHeight: image.height)
    return (steering, try SaliencyFrame(mask: frame, width: image.width, height: image.height))
  }
}
