// Mean squared error over every scalar (Keras's MSE for (N, 1) outputs: the mean over the batch).
import TensorCore

/// Loss and its gradient with respect to `predictions`: 2 (p - t) / count.
public func mseLoss(predictions: Tensor, targets: [Float]) throws(ConvNetError) -> (
  loss: Float, gradient: Tensor
) {
  guard predictions.count == targets.count, !targets.isEmpty else {
    throw .shapeMismatch("\(predictions.count) predictions for \(targets.count) targets")
  }
  var g = Tensor(shape: predictions.shape, repeating: 0)
  let loss = mseLoss(predictions: predictions.base, targets: targets, gradient: g.mutableBase)
  return (loss, g)
}

/// The kernel: writes the gradient into `gradient` and returns the loss (accumulated in Double).
package func mseLoss(
  predictions p: UnsafePointer<Float>, targets: [Float], gradient: UnsafeMutablePointer<Float>?
) -> Float {
  let n = targets.count
  var sum = 0.0
  for i in 0..<n {
    let d = p[i] - targets[i]
    sum += Double(d) * Double(d)
    gradient?[i] = 2 * d / Float(n)
  }
  return Float(sum / Double(n))
}
