// MaxPooling2D: x: (N, H, W, C) -> y: (N, OH, OW, C), max over each window (Keras padding rules;
// padded cells never win). Backward routes each gradient to the argmax cell.
import TensorCore

public final class MaxPooling2D: Layer {
  public var name: String
  public var typeName: String { "MaxPooling2D" }
  public var namePrefix: String { "max_pooling2d" }
  public let poolSize: (height: Int, width: Int)
  public let stride: (y: Int, x: Int)
  public let padding: Padding
  public var computesInputGradient = true
  public var threads = 1

  private var output = Tensor.zeros([0])
  private var argmax: [Int32] = []
  private var inputShape: [Int] = []
  private var inputGradient = Tensor.zeros([0])

  public init(
    poolSize: (Int, Int) = (2, 2), stride: (Int, Int)? = nil, padding: Padding = .valid, name: String = ""
  ) {
    self.name = name
    self.poolSize = (poolSize.0, poolSize.1)
    self.stride = stride.map { ($0.0, $0.1) } ?? (poolSize.0, poolSize.1)
    self.padding = padding
  }

  private func geometry(_ s: [Int]) throws(ConvNetError) -> ConvGeometry {
    guard s.count == 3 else { throw .shapeMismatch("\(name) expects (H, W, C), got \(s)") }
    do {
      return try ConvGeometry(
        inputHeight: s[0], inputWidth: s[1], channels: s[2], kernelHeight: poolSize.height,
        kernelWidth: poolSize.width, strideY: stride.y, strideX: stride.x, padding: padding)
    } catch { throw error.convNet }
  }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] {
    let g = try geometry(s)
    return [g.outputHeight, g.outputWidth, s[2]]
  }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank == 4 else { throw .shapeMismatch("\(name) expects (N, H, W, C), got \(x.shape)") }
    let g = try geometry(Array(x.shape.dropFirst()))
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    output.prepare(n, g.outputHeight, g.outputWidth, c)
    if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
    let y = output.mutableBase
    let p = x.base
    argmax.withUnsafeMutableBufferPointer { am in
      var o = 0
      for i in 0..<n {
        for oy in 0..<g.outputHeight {
          for ox in 0..<g.outputWidth {
            for ch in 0..<c {
              var best = -Float.infinity
              var bestIndex = -1
              for ky in 0..<poolSize.height {
                let iy = oy * stride.y - g.padTop + ky
                if iy < 0 || iy >= h { continue }
                for kx in 0..<poolSize.width {
                  let ix = ox * stride.x - g.padLeft + kx
                  if ix < 0 || ix >= w { continue }
                  let idx = ((i * h + iy) * w + ix) * c + ch
                  if p[idx] > best || bestIndex < 0 {
                    best = p[idx]
                    bestIndex = idx
                  }
                }
              }
              y[o] = best
              am[o] = Int32(bestIndex)
              o += 1
            }
          }
        }
      }
    }
    inputShape = x.shape
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
    let g = dy.base
    for o in 0..<dy.count { dx[Int(argmax[o])] += g[o] }
    return inputGradient
  }
}
