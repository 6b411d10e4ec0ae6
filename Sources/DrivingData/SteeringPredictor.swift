// The seam between a steering model and whatever drives with it (Drive's server, Predict, a user's
// own loop): a decoded camera frame in, a steering command out.

/// Anything that turns one decoded front-camera frame into a steering command.
///
/// The input is the camera frame decoded to RGB (320x160 from the simulator), before any crop or
/// resize; a model applies its own `InputPipeline` (see `FramePreparer`). The output is normalized
/// steering, -1...1 (times 25 degrees in the simulator; positive turns right). Callers call a
/// predictor from one thread at a time, so implementations may keep scratch buffers.
public protocol SteeringPredictor {
  mutating func steering(for image: RGBImage) throws -> Float

  /// The rows of a `width` x `height` frame that `steering(for:)` reads, when it reads fewer than
  /// all (a network that crops the sky and the bonnet away): a caller may then decode only those
  /// rows and leave the others unspecified. nil (the default): every row.
  func frameRows(width: Int, height: Int) -> Range<Int>?
}

extension SteeringPredictor {
  public func frameRows(width: Int, height: Int) -> Range<Int>? { nil }
}
