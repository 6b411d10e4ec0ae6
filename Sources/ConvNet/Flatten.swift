// Flatten: x: (N, H, W, C) -> y: (N, H * W * C), row-major over H, W, C (Keras channels-last order).
// A reshape: no copy.
import TensorCore

public final class Flatten: Layer {
  public var name: String
  public var typeName: String { "Flatten" }
  public var namePrefix: String { "flatten" }
  public var computesInputGradient = true
  public var threads = 1
  private var inputShape: [Int] = []
  private var flatShape: [Int] = []

  public init(name: String = "") { self.name = name }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] { [s.reduce(1, *)] }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank >= 1 else { throw .shapeMismatch("\(name) needs a batch axis, got \(x.shape)") }
    // Shapes are cached so steady-state calls build no arrays.
    if inputShape != x.shape {
      inputShape = x.shape
      flatShape = [x.shape[0], x.shape.dropFirst().reduce(1, *)]
    }
    return x.sharingStorage(shape: flatShape)
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard computesInputGradient else { return noGradient }
    guard dy.count == inputShape.reduce(1, *), !inputShape.isEmpty else {
      throw .shapeMismatch("\(name) backward expects \(inputShape) scalars, got \(dy.shape)")
    }
    do { return try dy.reshaped(inputShape) } catch { throw error.convNet }
  }
}
