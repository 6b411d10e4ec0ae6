// Conv2D over NHWC images, one worker slice of the batch per core (a single image: its channel tiles
// or rows, across `singleImageThreads`). Where every window lies inside
// the image and the CPU has AVX2, direct kernels read the input in place (TensorCore.DirectConv);
// otherwise im2col + one GEMM per slice. Bias and activation run in one pass over each slice's
// output. Under `precision = .bf16` the three products run in BF16 on direct kernels of the same
// shape (TensorCore.BF16Conv), or as BF16 GEMMs over im2col (see Conv2D+BF16.swift). Kernel
// layout HWIO, as Keras stores it.
// x: (N, H, W, C), kernel: (KH, KW, C, OC), bias: (OC) -> y: (N, OH, OW, OC)
import TensorCore

public final class Conv2D: Layer {
  public var name: String
  public var typeName: String { "Conv2D" }
  public var namePrefix: String { "conv2d" }
  public let kernel: Parameter
  public let bias: Parameter
  public let inputChannels: Int
  public let outputChannels: Int
  public let kernelSize: (height: Int, width: Int)
  public let stride: (y: Int, x: Int)
  public let padding: Padding
  public let activation: Activation
  public var computesInputGradient = true
  public var threads = 1
  /// Threads a batch-1 forward on the direct kernels splits across: the caller and up to
  /// `singleImageThreads - 1` idle helpers of `HelperTeam`. 1 runs it on the caller alone.
  public var singleImageThreads = 1
  /// Chunks of split batch-1 forwards that helper threads ran (tests check a split really happens).
  package private(set) var helperChunks = 0
  /// Whether the direct kernels may run (when the CPU and geometry allow); false forces im2col +
  /// GEMM, which tests and benchmarks compare against.
  package var allowsDirectKernels = true {
    didSet { geometry = nil }
  }
  /// Arithmetic of forward and backward; `.bf16` needs `BF16.isAvailable` (forward throws otherwise).
  public var precision = Precision.fp32
  public var parameters: [Parameter] { [kernel, bias] }
  /// Whether the last forward ran on the direct kernels.
  package var usesDirectKernels: Bool { direct != nil }

  // Workspaces, reused across steps (no per-step allocation once shapes settle).
  var geometry: ConvGeometry?
  var col = Tensor.zeros([0])  // (N * OH * OW, KH * KW * C); reused for dcol in backward
  var output = Tensor.zeros([0])
  var delta = Tensor.zeros([0])  // dy * act'(y)
  var inputGradient = Tensor.zeros([0])
  var partials: [Tensor] = []  // per-worker (K * OC(P) + OC(P)) weight/bias gradient partials
  var haveForward = false
  var forwardPrecision = Precision.fp32  // what the forward that backward follows ran in
  // BF16 path: the kernel packed for forward and, transposed, for the input gradient; per-worker
  // scratch for the packed activations.
  var bf16Kernel = BF16Scratch()
  var bf16Scratch: [(a: BF16Scratch, b: BF16Scratch)] = []
  var bf16Input = BF16Scratch()  // the direct path's input in bf16
  // Direct path: kernel packed to (K, OCP), transposed to (KH, OC, RUNP); delta padded to OCP.
  private var direct: DirectConv?
  private var packedKernel = Tensor.zeros([0])
  private var transposedKernel = Tensor.zeros([0])
  private var paddedDelta = Tensor.zeros([0])  // (N * OH * OW, OCP): dy * act'(y)
  var savedInput: Tensor?  // the forward input, held from a training forward to its backward

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
    padding: Padding = .valid, activation: Activation = .linear, name: String = ""
  ) {
    self.name = name
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = (kernelSize.0, kernelSize.1)
    self.stride = (stride.0, stride.1)
    self.padding = padding
    self.activation = activation
    kernel = Parameter(name: "kernel", shape: [kernelSize.0, kernelSize.1, inputChannels, outputChannels])
    bias = Parameter(name: "bias", shape: [outputChannels])
  }

  private func makeGeometry(_ h: Int, _ w: Int, _ c: Int) throws(ConvNetError) -> ConvGeometry {
    guard c == inputChannels else {
      throw .shapeMismatch("\(name) expects \(inputChannels) input channels, got \(c)")
    }
    do {
      return try ConvGeometry(
        inputHeight: h, inputWidth: w, channels: c, kernelHeight: kernelSize.height,
        kernelWidth: kernelSize.width, strideY: stride.y, strideX: stride.x, padding: padding)
    } catch { throw error.convNet }
  }

  public func outputShape(inputShape s: [Int]) throws(ConvNetError) -> [Int] {
    guard s.count == 3 else { throw .shapeMismatch("\(name) expects (H, W, C), got \(s)") }
    let g = try makeGeometry(s[0], s[1], s[2])
    return [g.outputHeight, g.outputWidth, outputChannels]
  }

  public func initialize(generator: inout SplitMix64) {
    let k = kernelSize.height * kernelSize.width
    let w = Tensor.glorotUniform(
      kernel.shape, fanIn: k * inputChannels, fanOut: k * outputChannels, generator: &generator)
    try? kernel.assign(w)
    bias.values.update(repeating: 0, count: bias.count)
  }

  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank == 4 else { throw .shapeMismatch("\(name) expects (N, H, W, C), got \(x.shape)") }
    let g: ConvGeometry
    if let cached = geometry, cached.inputHeight == x.shape[1], cached.inputWidth == x.shape[2],
      cached.channels == x.shape[3]
    {
      g = cached
    } else {
      g = try makeGeometry(x.shape[1], x.shape[2], x.shape[3])
      geometry = g
      direct = allowsDirectKernels ? DirectConv(geometry: g, outputChannels: outputChannels) : nil
    }
    forwardPrecision = precision
    if precision == .bf16 { return try bf16Forward(x, geometry: g, mode: mode) }
    let n = x.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    output.prepare(n, g.outputHeight, g.outputWidth, oc)
    let py = output.mutableBase
    let px = x.base
    let pw = UnsafePointer(kernel.values)
    let pb = UnsafePointer(bias.values)
    let act = activation
    haveForward = mode == .training
    if let direct {
      // Two copies: a split forward's row halves each pack their tile's weights (splitForward).
      packedKernel.prepare(2 * direct.packedKernelCount, 1)
      if n == 1, singleImageThreads > 1 {
        try splitForward(direct, x: px, y: py)
        savedInput = haveForward ? x : nil
        return output
      }
      direct.packKernel(pw, bias: pb, into: packedKernel.mutableBase)
      let pk = packedKernel.base
      let failure = Locked<TensorError?>(nil)
      parallelChunks(count: n, chunk: directChunk(n), workers: threads) { _, images in
        do throws(TensorError) {
          try direct.forward(
            px + images.lowerBound * g.inputImageSize, images: images.count, packedKernel: pk,
            activation: act,
            y: py + images.lowerBound * p * oc)
        } catch {
          failure.withLock { $0 = $0 ?? error }
        }
      }
      if let error = failure.withLock({ $0 }) { throw error.convNet }
      savedInput = haveForward ? x : nil
      return output
    }
    col.prepare(n * p, k)
    let pc = col.mutableBase
    parallelSlices(count: n, workers: threads) { _, images in
      let rows = images.count * p
      let c = pc + images.lowerBound * p * k
      let y = py + images.lowerBound * p * oc
      im2col(px, images: images, geometry: g, col: c)
      sgemm(
        transposeA: false, transposeB: false, m: rows, n: oc, k: k, a: c, lda: k, b: pw, ldb: oc,
        beta: 0, c: y, ldc: oc)
      biasActivate(y, rows: rows, columns: oc, bias: pb, activation: act)
    }
    return output
  }

  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    guard haveForward, let g = geometry else { throw .backwardBeforeForward(layer: name) }
    guard dy.shape == output.shape else {
      throw .shapeMismatch("\(name) backward expects \(output.shape), got \(dy.shape)")
    }
    haveForward = false
    if forwardPrecision == .bf16 { return bf16Backward(dy, geometry: g) }
    if let direct, let x = savedInput {
      savedInput = nil  // so the previous layer's workspace is uniquely owned again next step
      return try directBackward(dy, x: x, direct: direct)
    }
    let n = dy.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    let workers = max(1, min(threads, n))
    delta.prepare(n * p, oc)
    let partialBases = preparePartials(workers, size: k * oc + oc)
    if computesInputGradient { inputGradient.prepare(n, g.inputHeight, g.inputWidth, g.channels) }
    let needDx = computesInputGradient
    let pdx = needDx ? inputGradient.mutableBase : nil
    let pd = delta.mutableBase
    let pc = col.mutableBase
    let py = output.base
    let pdy = dy.base
    let pw = UnsafePointer(kernel.values)
    let act = activation
    parallelSlices(count: n, workers: workers) { worker, images in
      let rows = images.count * p
      let first = images.lowerBound * p
      let d = pd + first * oc
      d.update(from: pdy + first * oc, count: rows * oc)
      act.backward(output: py + first * oc, gradient: d, count: rows * oc)
      // dW_w = col_w^T x delta_w: (K, rows) x (rows, OC); db_w = column sums of delta_w.
      let part = partialBases[worker]
      let c = pc + first * k
      sgemm(
        transposeA: true, transposeB: false, m: k, n: oc, k: rows, a: c, lda: k, b: d, ldb: oc,
        beta: 0, c: part, ldc: oc)
      let pbias = part + k * oc
      pbias.update(repeating: 0, count: oc)
      for r in 0..<rows { for j in 0..<oc { pbias[j] += d[r * oc + j] } }
      if let pdx {
        // dcol = delta x W^T: (rows, OC) x (OC, K), written over this slice's col, then scattered.
        sgemm(
          transposeA: false, transposeB: true, m: rows, n: k, k: oc, a: d, lda: oc, b: pw, ldb: oc,
          beta: 0, c: c, ldc: k)
        col2im(c, images: images, geometry: g, dx: pdx)
      }
    }
    addWorkerPartials(partialBases, k: k, oc: oc)
    return needDx ? inputGradient : noGradient
  }

  /// Adds each worker's partial weight gradient (K x OC) and bias gradient (OC), stored one after
  /// the other, into the layer's gradients, in worker order (a fixed summation order).
  func addWorkerPartials(_ partialBases: [UnsafeMutablePointer<Float>], k: Int, oc: Int) {
    let gw = kernel.gradients
    let gb = bias.gradients
    for part in partialBases {
      for i in 0..<(k * oc) { gw[i] += part[i] }
      for j in 0..<oc { gb[j] += part[k * oc + j] }
    }
  }

  /// `count` gradient partials of `size` floats (a weight gradient, then a bias gradient), reused
  /// across steps while the shapes hold; contents undefined.
  func preparePartials(_ count: Int, size: Int) -> [UnsafeMutablePointer<Float>] {
    if partials.count != count || partials.first?.count != size {
      partials = (0..<count).map { _ in Tensor.zeros([size]) }
    }
    return (0..<count).map { partials[$0].mutableBase }
  }

  /// Adds each chunk's partial (a K x OCP weight gradient, then the OCP bias gradient) into the
  /// layer's gradients, chunk after chunk for every element (a fixed summation order), with the K
  /// rows split across the workers: on a 2-core step this reduction was serial.
  func addChunkPartials(_ partialBases: [UnsafeMutablePointer<Float>], k: Int, oc: Int, ocp: Int) {
    let gw = kernel.gradients
    let gb = bias.gradients
    parallelSlices(count: k, workers: threads) { _, rows in
      for part in partialBases {
        for i in rows {
          let (src, dst) = (part + i * ocp, gw + i * oc)
          for j in 0..<oc { dst[j] += src[j] }
        }
      }
    }
    for part in partialBases { for j in 0..<oc { gb[j] += part[k * ocp + j] } }
  }

  /// One image across the caller and idle helpers, by channel tile (and row half) where the layer
  /// has several tiles (each chunk packs and reads only its own tile's weights: split by rows
  /// alone, the helper read all weights as the caller had just packed them, from the caller's
  /// cache, and conv3-5 got slower than unsplit), else by output rows (conv1: one tile of 24
  /// channels, little weight, many rows). Every output element comes from the same kernel code whoever runs it, so the output is
  /// the same bits as unsplit.
  private func splitForward(_ direct: DirectConv, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>)
    throws(ConvNetError)
  {
    let pw = UnsafePointer(kernel.values)
    let pb = UnsafePointer(bias.values)
    let pk = packedKernel.mutableBase
    let act = activation
    let tiles = direct.channelTiles
    let rows = direct.geometry.outputHeight
    let failure = Locked<TensorError?>(nil)
    let onHelpers: Int
    if tiles > 1 {
      // With fewer than two tiles a thread, each tile in two row halves: tiles of 24 + 16 channels
      // (conv2) or three of 16 (conv3) cannot be shared evenly by two threads (by tile alone conv3
      // ran 1.42x, not 2x, and halves took conv2 from 139 to 118 us). conv4 and conv5 have four
      // tiles and a few rows: there halves only added chunks (conv5 13 -> 15 us).
      let halves = tiles < 2 * singleImageThreads ? min(2, rows) : 1
      let copy = direct.packedKernelCount
      onHelpers = HelperTeam.run(chunks: tiles * halves, helpers: singleImageThreads - 1) { chunk, _ in
        let (tile, half) = chunk.quotientAndRemainder(dividingBy: halves)
        do throws(TensorError) {
          try direct.forward(
            x, tiles: tile..<(tile + 1), rows: sliceRange(count: rows, parts: halves, index: half),
            kernel: pw,
            bias: pb, packedKernel: pk + half * copy, activation: act, y: y)
        } catch {
          failure.withLock { $0 = $0 ?? error }
        }
      }
    } else {
      direct.packKernel(pw, bias: pb, into: pk)
      // Two chunks per thread: a helper that starts late (it was asleep) still takes a share.
      let chunks = min(rows, 2 * singleImageThreads)
      onHelpers = HelperTeam.run(chunks: chunks, helpers: singleImageThreads - 1) { chunk, _ in
        do throws(TensorError) {
          try direct.forward(
            x, rows: sliceRange(count: rows, parts: chunks, index: chunk), packedKernel: pk, activation: act,
            y: y)
        } catch {
          failure.withLock { $0 = $0 ?? error }
        }
      }
    }
    helperChunks += onHelpers
    if let error = failure.withLock({ $0 }) { throw error.convNet }
  }

  /// Images per chunk handed to a worker: at least eight chunks (four per worker on two cores),
  /// so a core slowed by other work costs a chunk, not half the batch. Up to two threads the
  /// split, and so every gradient's summation order, does not depend on the thread count.
  func directChunk(_ n: Int) -> Int { max(1, n / max(8, max(1, threads) * 4)) }

  /// The backward pass on the direct kernels: delta = dy * act'(y), padded to OCP, with the bias
  /// gradient in the same pass; per chunk of images, dW and db partials, and dx for its images.
  /// Partials are kept per chunk, not per worker, and summed in chunk order: which core took which
  /// chunk depends on scheduling, and the gradients (so training) must not.
  private func directBackward(_ dy: Tensor, x: Tensor, direct: DirectConv) throws(ConvNetError) -> Tensor {
    let g = direct.geometry
    let n = dy.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    let ocp = direct.paddedChannels
    let workers = max(1, min(threads, n))
    let chunk = directChunk(n)
    let chunks = (n + chunk - 1) / chunk
    paddedDelta.prepare(n * p, ocp)
    let partialBases = preparePartials(chunks, size: k * ocp + ocp)
    let needDx = computesInputGradient
    if needDx {
      inputGradient.prepare(n, g.inputHeight, g.inputWidth, g.channels)
      transposedKernel.prepare(g.kernelHeight * oc, direct.paddedRun)
      direct.packTransposedKernel(UnsafePointer(kernel.values), into: transposedKernel.mutableBase)
    }
    let pdx = needDx ? inputGradient.mutableBase : nil
    let pt = transposedKernel.base
    let ppd = paddedDelta.mutableBase
    let py = output.base
    let pdy = dy.base
    let px = x.base
    let act = activation
    let failure = Locked<TensorError?>(nil)
    parallelChunks(count: n, chunk: chunk, workers: workers) { _, images in
      let rows = images.count * p
      let first = images.lowerBound * p
      let dp = ppd + first * ocp
      let part = partialBases[images.lowerBound / chunk]
      part.update(repeating: 0, count: k * ocp + ocp)
      direct.activationDelta(
        pdy + first * oc, output: py + first * oc, rows: rows, activation: act, delta: dp,
        biasGradient: part + k * ocp)
      let xs = px + images.lowerBound * g.inputImageSize
      direct.accumulateWeightGradient(xs, images: images.count, delta: dp, gradient: part)
      if let pdx {
        do throws(TensorError) {
          try direct.inputGradient(
            dp, images: images.count, transposedKernel: pt, dx: pdx + images.lowerBound * g.inputImageSize)
        } catch {
          failure.withLock { $0 = $0 ?? error }
        }
      }
    }
    if let error = failure.withLock({ $0 }) { throw error.convNet }
    addChunkPartials(partialBases, k: k, oc: oc, ocp: ocp)
    return needDx ? inputGradient : noGradient
  }
}
