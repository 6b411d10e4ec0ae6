// Dense: y = act(x W + b). x: (N, in), kernel: (in, out), bias: (out) -> y: (N, out)
// Under `precision = .bf16` the three products are BF16 GEMMs (bfloat16 operands, FP32 sums).
import TensorCore

public final class Dense: Layer {
  public var name: String
  public var typeName: String { "Dense" }
  public var namePrefix: String { "dense" }
  public let kernel: Parameter
  public let bias: Parameter
  public let inputCount: Int
  public let outputCount: Int
  public let activation: Activation
  public var computesInputGradient = true
  public var threads = 1  // small GEMMs: one thread is fastest
  /// Arithmetic of forward and backward; `.bf16` needs `BF16.isAvailable` (forward throws otherwise).
  public var precision = Precision.fp32
  public var parameters: [Parameter] { [kernel, bias] }

  private var input = Tensor.zeros([0])
  private var output = Tensor.zeros([0])
  private var delta = Tensor.zeros([0])
  private var inputGradient = Tensor.zeros([0])
  private var haveForward = false
  private var forwardPrecision = Precision.fp32
  private let scratchA = BF16Scratch()
  private let scratchB = BF16Scratch()

  public init(inputCount: Int, outputCount: Int, activation: Activation = .linear, name: String = "") {
    self.name = name
    self.inputCount = inputCount
    self.outputCount = outputCount
    self.activation = activation
    kernel = Parameter(name: "kernel", shape: [inputCount, outputCount])
    bias = Parameter(name: "bias", shape: [outputCount])
  }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] {
    guard s == [inputCount] else { throw .shapeMismatch("\(name) expects (\(inputCount)), got \(s)") }
    return [outputCount]
  }

  public func initialize(generator: inout SplitMix64) {
    try? kernel.assign(
      Tensor.glorotUniform(kernel.shape, fanIn: inputCount, fanOut: outputCount, generator: &generator))
    bias.values.update(repeating: 0, count: bias.count)
  }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank == 2, x.shape[1] == inputCount else {
      throw .shapeMismatch("\(name) expects (N, \(inputCount)), got \(x.shape)")
    }
    let n = x.shape[0]
    output.prepare(n, outputCount)
    let y = output.mutableBase
    for r in 0..<n { (y + r * outputCount).update(from: bias.values, count: outputCount) }
    forwardPrecision = precision
    if precision == .bf16 {
      guard BF16.isAvailable else {
        throw .invalidArgument("\(name): precision bf16: \(BF16.unavailableReason)")
      }
      let a = scratchA.buffer(BF16.packedACount(m: n, k: inputCount))
      let b = scratchB.buffer(BF16.packedBCount(k: inputCount, n: outputCount))
      BF16.packA(x.base, m: n, k: inputCount, lda: inputCount, transposed: false, into: a)
      BF16.packB(kernel.values, k: inputCount, n: outputCount, ldb: outputCount, transposed: false, into: b)
      BF16.gemm(
        m: n, n: outputCount, k: inputCount, a: a, b: b, c: y, rowStride: outputCount, accumulate: true)
    } else {
      sgemm(
        transposeA: false, transposeB: false, m: n, n: outputCount, k: inputCount, a: x.base,
        lda: inputCount, b: kernel.values, ldb: outputCount, beta: 1, c: y, ldc: outputCount)
    }
    activation.apply(y, count: n * outputCount)
    if mode == .training { input = x }
    haveForward = mode == .training
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard haveForward else { throw .backwardBeforeForward(layer: name) }
    guard dy.shape == output.shape else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    haveForward = false
    let n = dy.shape[0]
    delta.prepare(shape: dy.shape)
    let d = delta.mutableBase
    d.update(from: dy.base, count: dy.count)
    activation.backward(output: output.base, gradient: d, count: dy.count)
    // dW += x^T delta: (in, N) x (N, out); db += column sums; dx = delta W^T: (N, out) x (out, in).
    if forwardPrecision == .bf16 { return bf16Backward(delta: d, n: n) }
    sgemm(
      transposeA: true, transposeB: false, m: inputCount, n: outputCount, k: n, a: input.base,
      lda: inputCount, b: d, ldb: outputCount, beta: 1, c: kernel.gradients, ldc: outputCount)
    let gb = bias.gradients
    for r in 0..<n { for j in 0..<outputCount { gb[j] += d[r * outputCount + j] } }
    input = noGradient  // release: the producer's workspace becomes unshared again
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(n, inputCount)
    sgemm(
      transposeA: false, transposeB: true, m: n, n: inputCount, k: outputCount, a: d, lda: outputCount,
      b: kernel.values, ldb: outputCount, beta: 0, c: inputGradient.mutableBase, ldc: inputCount)
    return inputGradient
  }

  /// The backward products in BF16, each written with unit column stride (a strided store is a
  /// scalar one per element): dW (in, out) += x^T (in, N) x delta (N, out), and
  /// dx^T (in, N) = W (in, out) x delta^T (out, N), stored transposed into dx (N, in) (N columns
  /// per row of W, few). The large operands (x, W) are packed by rows; only delta, small, is
  /// transposed.
  private func bf16Backward(delta d: UnsafeMutablePointer<Float>, n: Int) -> Tensor {
    let a = scratchA.buffer(
      max(BF16.packedACount(m: inputCount, k: n), BF16.packedACount(m: inputCount, k: outputCount)))
    let b = scratchB.buffer(
      max(BF16.packedBCount(k: n, n: outputCount), BF16.packedBCount(k: outputCount, n: n)))
    BF16.packA(input.base, m: inputCount, k: n, lda: inputCount, transposed: true, into: a)
    BF16.packB(d, k: n, n: outputCount, ldb: outputCount, transposed: false, into: b)
    BF16.gemm(
      m: inputCount, n: outputCount, k: n, a: a, b: b, c: kernel.gradients, rowStride: outputCount,
      accumulate: true)
    let gb = bias.gradients
    for r in 0..<n { for j in 0..<outputCount { gb[j] += d[r * outputCount + j] } }
    input = noGradient
    guard computesInputGradient else { return noGradient }
    inputGradient.prepare(n, inputCount)
    BF16.packA(kernel.values, m: inputCount, k: outputCount, lda: outputCount, transposed: false, into: a)
    BF16.packB(d, k: outputCount, n: n, ldb: outputCount, transposed: true, into: b)
    BF16.gemm(
      m: inputCount, n: n, k: outputCount, a: a, b: b, c: inputGradient.mutableBase, rowStride: 1,
      columnStride: inputCount, accumulate: false)
    return inputGradient
  }
}
