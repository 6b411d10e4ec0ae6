// The seam for what a steering model looks at: Drive's `--saliency`, Predict and the report ask a
// predictor for its saliency over the camera frame it was given.

/// A `SteeringPredictor` that can also say which pixels of the frame its answer rests on.
public protocol SaliencyPredictor: SteeringPredictor {
  /// The steering for `image` (as `steering(for:)`) and a saliency mask over the whole frame
  /// (`image.width` x `image.height`), from the same forward pass.
  mutating func steeringAndSaliency(for image: RGBImage) throws -> (steering: Float, saliency: SaliencyFrame)
}
