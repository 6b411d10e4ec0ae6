// Cropping2D((top, bottom), (left, right)): x: (N, H, W, C) -> y: (N, H-t-b, W-l-r, C)
import TensorCore

public final class Cropping2D: Layer {
  public var name: String
  public var typeName: String { "Cropping2D" }
  public var namePrefix: String { "cropping2d" }
  public let rows: (top: Int, bottom: Int)
  public let columns: (left: Int, right: Int)
  public var computesInputGradient = true
  public var threads = 1

  private var output = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])
  private var inputShape: [Int] = []

  public init(rows: (Int, Int), columns: (Int, Int) = (0, 0), name: String = "") {
    self.name = name
    self.rows = (rows.0, rows.1)
    self.columns = (columns.0, columns.1)
  }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] {
    guard s.count == 3, min(rows.top, rows.bottom, columns.left, columns.right) >= 0,
      rows.top + rows.bottom < s[0], columns.left + columns.right < s[1]
    else {
      throw .shapeMismatch("\(name): crop \(rows), \(columns) does not fit \(s)")
    }
    return [s[0] - rows.top - rows.bottom, s[1] - columns.left - columns.right, s[2]]
  }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank == 4 else { throw .shapeMismatch("\(name) expects (N, H, W, C), got \(x.shape)") }
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = h - rows.top - rows.bottom
    let ow = w - columns.left - columns.right
    guard min(rows.top, rows.bottom, columns.left, columns.right) >= 0, oh > 0, ow > 0 else {
      throw .shapeMismatch("\(name): crop \(rows), \(columns) does not fit \(x.shape)")
    }
    output.prepare(n, oh, ow, c)
    let (src, dst, top, left) = (x.base, output.mutableBase, rows.top, columns.left)
    parallelSlices(count: n, workers: threads) { _, images in
      crop(
        src + images.lowerBound * h * w * c, n: images.count, h: h, w: w, c: c, top: top, left: left,
        outH: oh, outW: ow, y: dst + images.lowerBound * oh * ow * c)
    }
    if inputShape != x.shape { inputShape = x.shape }
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard dy.shape == output.shape, !inputShape.isEmpty else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(shape: inputShape)
    let dx = inputGradient.mutableBase
    dx.update(repeating: 0, count: inputGradient.count)
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (oh, ow) = (dy.shape[1], dy.shape[2])
    for i in 0..<n {
      for r in 0..<oh {
        (dx + ((i * h + rows.top + r) * w + columns.left) * c).update(
          from: dy.base + (i * oh + r) * ow * c, count: ow * c)
      }
    }
    return inputGradient
  }
}
