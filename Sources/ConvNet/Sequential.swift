// Sequential: layers in order over a fixed per-sample input shape. On construction it names layers
// Keras-style ("conv2d_1"), checks every shape, initializes weights from a seed, and packs all
// parameters into one flat store (values + gradients) for the optimizer.
import TensorCore

public final class Sequential {
  public let layers: [any Layer]
  /// Per-sample input shape, e.g. (128, 128, 3).
  public let inputShape: [Int]
  /// Per-sample output shape of each layer.
  public let layerOutputShapes: [[Int]]
  public let parameters: ParameterStore
  /// Worker threads for batch splitting (default: all cores; BLAS runs single-threaded then).
  public var threads: Int {
    didSet { configureThreads() }
  }

  /// Threads a batch-1 forward splits each Conv2D across, by channel tile or output row (the
  /// calling thread and idle helper threads; see `HelperTeam`). 1 (the default) runs it on the
  /// calling thread. The output is the same bits for every value. It pays only while the other
  /// cores are idle (README, "Drive latency: both cores").
  public var singleImageThreads = 1 {
    didSet {
      let value = max(1, singleImageThreads)
      for case let conv as Conv2D in layers { conv.singleImageThreads = value }
    }
  }

  /// Sends the helper threads a batch-1 forward split across `threads` (default
  /// `singleImageThreads`) uses to sleep now rather than after their spin: a spinning helper holds
  /// a core, and a thread the caller wakes next (the client its reply goes to) waits for it. The
  /// next split forward wakes them.
  public func parkSplitHelpers(threads: Int? = nil) {
    HelperTeam.park(helpers: (threads ?? singleImageThreads) - 1)
  }

  /// Rows of a single input image the network reads: those its leading Cropping2D keeps, else all.
  /// A caller preparing frames may compute only these (`FramePreparer.rows`).
  public var inputRowsRead: Range<Int> {
    let h = inputShape.first ?? 0
    guard let crop = layers.first as? Cropping2D else { return 0..<h }
    return min(crop.rows.top, h)..<max(crop.rows.top, h - crop.rows.bottom)
  }

  /// Called during backward with the flat index from which every gradient is final (after each
  /// layer with parameters): the data-parallel trainer starts reducing those buckets early.
  package var onGradientsReady: ((Int) -> Void)?

  private var input = Tensor.zeros([0])  // uint8 images converted to Float (cropped and rescaled when fused)
  /// Leading Cropping2D and/or Rescaling folded into the uint8 conversion; computed once.
  private lazy var inputFusion = InputFusion(layers: layers)

  public init(inputShape: [Int], layers: [any Layer], seed: UInt64 = 0, threads: Int = availableCores)
    throws(ConvNetError)
  {
    self.inputShape = inputShape
    self.layers = layers
    self.threads = max(1, threads)
    var counters: [String: Int] = [:]
    var used = Set(layers.map(\.name).filter { !$0.isEmpty })
    for layer in layers where layer.name.isEmpty {
      var name: String
      repeat {
        counters[layer.namePrefix, default: 0] += 1
        name = "\(layer.namePrefix)_\(counters[layer.namePrefix]!)"
      } while used.contains(name)
      used.insert(name)
      layer.name = name
    }
    guard used.count == layers.count else { throw .invalidArgument("layer names are not unique") }
    var shape = inputShape
    var shapes: [[Int]] = []
    for layer in layers {
      shape = try layer.outputShape(inputShape: shape)
      shapes.append(shape)
    }
    layerOutputShapes = shapes
    var generator = SplitMix64(seed: seed)
    for layer in layers { layer.initialize(generator: &generator) }
    let total = layers.flatMap(\.parameters).reduce(0) { $0 + $1.count }
    parameters = ParameterStore(count: total)
    var offset = 0
    for p in layers.flatMap(\.parameters) {
      p.rebind(to: parameters, offset: offset)
      offset += p.count
    }
    // Layers up to and including the first trainable one need no input gradient.
    var seenTrainable = false
    for layer in layers {
      layer.computesInputGradient = seenTrainable
      if !layer.parameters.isEmpty { seenTrainable = true }
    }
    configureThreads()
  }

  private func configureThreads() {
    // One BLAS thread: the model splits batches itself, and idle OpenBLAS workers spin in sched_yield.
    BLAS.threads = 1
    // Dense layers stay single-threaded: their GEMMs are too small to split.
    for layer in layers where !(layer is Dense) { layer.threads = threads }
  }

  public var parameterCount: Int { parameters.count }

  /// Arithmetic of the Conv2D and Dense layers: fp32 (default) or bf16 mixed precision (bfloat16
  /// operands, FP32 sums; weights, gradients, optimizer state and loss stay FP32).
  public private(set) var precision = Precision.fp32

  /// Sets every Conv2D and Dense layer's precision. bf16 on a CPU without AVX-512 BF16 (or under
  /// `BC_CONV_KERNELS=nobf16`) throws and changes nothing: no silent fallback to FP32.
  public func setPrecision(_ newValue: Precision) throws(ConvNetError) {
    try setPrecision(newValue, bf16Available: BF16.isAvailable)
  }

  package func setPrecision(_ newValue: Precision, bf16Available: Bool) throws(ConvNetError) {
    if newValue == .bf16, !bf16Available {
      throw .invalidArgument("precision bf16: \(BF16.unavailableReason)")
    }
    precision = newValue
    for layer in layers {
      if let conv = layer as? Conv2D { conv.precision = newValue }
      if let dense = layer as? Dense { dense.precision = newValue }
    }
  }

  /// Every parameter with its model-wide name "<layer>.<param>", in storage order.
  public var namedParameters: [(name: String, parameter: Parameter)] {
    layers.flatMap { l in l.parameters.map { ("\(l.name).\($0.name)", $0) } }
  }

  public func parameter(named name: String) throws(ConvNetError) -> Parameter {
    guard let p = namedParameters.first(where: { $0.name == name }) else { throw .unknownParameter(name) }
    return p.parameter
  }

  public func layer(named name: String) -> (any Layer)? { layers.first { $0.name == name } }

  /// x: (N, inputShape...) -> (N, outputShape...).
  public func forward(_ x: Tensor, mode: Mode) throws(ConvNetError) -> Tensor {
    guard x.rank == inputShape.count + 1, x.shape.dropFirst().elementsEqual(inputShape) else {
      throw .shapeMismatch(
        "model expects (N, \(inputShape.map(String.init).joined(separator: ", "))), got \(x.shape)")
    }
    var h = x
    for layer in layers { h = try layer.forward(h, mode: mode) }
    return h
  }

  /// Backpropagates dy down to the first trainable layer (after a training forward); parameter gradients accumulate.
  @discardableResult
  public func backward(_ dy: Tensor) throws(ConvNetError) -> Tensor {
    var g = dy
    for layer in layers.reversed() {
      g = try layer.backward(g)
      if let ready = onGradientsReady, let first = layer.parameters.first { ready(first.offset) }
      // Layers before this one hold no parameters (see init): nothing left to compute.
      if !layer.computesInputGradient { break }
    }
    return g
  }

  /// Converts uint8 NHWC images into the model's Float input workspace (values 0...255).
  package func loadInput(_ images: UnsafeBufferPointer<UInt8>, count n: Int) throws(ConvNetError) -> Tensor {
    let per = inputShape.reduce(1, *)
    guard images.count == n * per else {
      throw .shapeMismatch("\(images.count) bytes are not \(n) images of \(inputShape)")
    }
    if input.rank != inputShape.count + 1 || input.shape[0] != n
      || !input.shape.dropFirst().elementsEqual(inputShape)
    {
      input.prepare(shape: [n] + inputShape)
    }
    let src = images.baseAddress!
    let dst = input.mutableBase
    parallelSlices(count: images.count, workers: n > 1 ? threads : 1) { _, r in
      convertUInt8(src + r.lowerBound, count: r.count, scale: 1, offset: 0, into: dst + r.lowerBound)
    }
    return input
  }

  /// Forward on a uint8 batch (training or inference). Leading crop and rescaling layers run
  /// fused with the uint8 conversion (see `loadFusedInput`).
  public func forward(batch: SampleBatch, mode: Mode) throws(ConvNetError) -> Tensor {
    guard [batch.height, batch.width, batch.channels] == inputShape else {
      throw .shapeMismatch(
        "batch images are \([batch.height, batch.width, batch.channels]), model wants \(inputShape)")
    }
    let (x, first) = try batch.images.withUnsafeBufferPointer { (b) throws(ConvNetError) in
      try loadFusedInput(b, count: batch.count)
    }
    var h = x
    for layer in layers[first...] { h = try layer.forward(h, mode: mode) }
    return h
  }

  /// One prediction per image of `batch` (first output of each).
  public func predict(batch: SampleBatch) throws(ConvNetError) -> [Float] {
    let y = try forward(batch: batch, mode: .inference)
    let per = y.count / max(batch.count, 1)
    return (0..<batch.count).map { y.base[$0 * per] }
  }

  /// Predictions for a Float batch (N, inputShape...).
  public func predict(_ x: Tensor) throws(ConvNetError) -> Tensor { try forward(x, mode: .inference) }

  /// One uint8 HWC image -> its first output. After the first call, allocates nothing: every
  /// workspace is reused. Not safe to call concurrently with training on the same model.
  public func predict(image: UnsafeBufferPointer<UInt8>) throws(ConvNetError) -> Float {
    let (x, first) = try loadFusedInput(image, count: 1)
    var h = x
    for layer in layers[first...] { h = try layer.forward(h, mode: .inference) }
    return h.base[0]
  }

  public func zeroGradients() { parameters.zeroGradients() }

  /// uint8 images -> the output of the model's leading parameter-free input layers (a Cropping2D,
  /// then a Rescaling) in one pass, and the index of the first layer still to run. Those layers
  /// need no backward (see init: backward stops at the first trainable layer), so skipping their
  /// own forward is safe. Models that start otherwise get the plain conversion and index 0.
  package func loadFusedInput(_ images: UnsafeBufferPointer<UInt8>, count n: Int) throws(ConvNetError) -> (
    Tensor, Int
  ) {
    let fusion = inputFusion
    guard fusion.layerCount > 0 else { return (try loadInput(images, count: n), 0) }
    let per = inputShape.reduce(1, *)
    guard images.count == n * per, inputShape.count == 3 else {
      throw .shapeMismatch("\(images.count) bytes are not \(n) images of \(inputShape)")
    }
    let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
    let (oh, ow) = (h - fusion.top - fusion.bottom, w - fusion.left - fusion.right)
    input.prepare(n, oh, ow, c)
    let src = images.baseAddress!
    let dst = input.mutableBase
    let (top, left, scale, offset) = (fusion.top, fusion.left, fusion.scale, fusion.offset)
    parallelSlices(count: n, workers: n > 1 ? threads : 1) { _, range in
      for i in range {
        for r in 0..<oh {
          convertUInt8(
            src + ((i * h + top + r) * w + left) * c, count: ow * c, scale: scale, offset: offset,
            into: dst + ((i * oh + r) * ow) * c)
        }
      }
    }
    return (input, fusion.layerCount)
  }
}

/// What `loadFusedInput` folds: an optional leading crop, then an optional rescaling, when a
/// trainable layer follows them.
struct InputFusion {
  var layerCount = 0
  var top = 0, bottom = 0, left = 0, right = 0
  var scale: Float = 1, offset: Float = 0

  init(layers: [any Layer]) {
    var i = 0
    if let crop = layers.first as? Cropping2D {
      (top, bottom, left, right) = (crop.rows.top, crop.rows.bottom, crop.columns.left, crop.columns.right)
      i = 1
    }
    if i < layers.count, let rescale = layers[i] as? Rescaling {
      (scale, offset) = (rescale.scale, rescale.offset)
      i += 1
    }
    // Only when backward never reaches the skipped layers: some later layer has parameters.
    guard layers[i...].contains(where: { !$0.parameters.isEmpty }) else { return }
    layerCount = i
  }
}
