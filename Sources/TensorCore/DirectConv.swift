// Direct NHWC convolution without an im2col buffer (Sources/CConvKernels): AVX2 + FMA micro-kernels
// that read the input in place. Used when every window lies inside the image and the CPU has AVX2;
// otherwise, and under `BC_CONV_KERNELS=im2col`, callers keep im2col + GEMM, which is also the
// reference the tests hold these kernels to.
import CConvKernels
import Foundation

package struct DirectConv: Sendable {
  /// True when this CPU has AVX2 and FMA.
  package static let cpuSupportsKernels = bc_conv_kernels_available() != 0
  /// True when the CPU runs the kernels and the environment did not ask for im2col.
  package static let isAvailable: Bool =
    cpuSupportsKernels && ProcessInfo.processInfo.environment["BC_CONV_KERNELS"] != "im2col"

  package let geometry: ConvGeometry
  package let outputChannels: Int
  private let shape: bc_conv_shape

  /// Output channels rounded up to a multiple of 8: the row length of packed kernels and deltas.
  package var paddedChannels: Int { Int(shape.ocp) }
  /// One kernel row (kw * c) rounded up to a multiple of 8: the row length of the transposed kernel.
  package var paddedRun: Int { (geometry.kernelWidth * geometry.channels + 7) / 8 * 8 }

  /// nil when the kernels cannot run here or some window reaches into padding.
  package init?(geometry g: ConvGeometry, outputChannels: Int, force: Bool = false) {
    guard force ? DirectConv.cpuSupportsKernels : DirectConv.isAvailable else { return nil }
    guard (g.outputHeight - 1) * g.strideY + g.kernelHeight <= g.inputHeight,
      (g.outputWidth - 1) * g.strideX + g.kernelWidth <= g.inputWidth, g.padTop == 0, g.padLeft == 0,
      outputChannels > 0
    else { return nil }
    geometry = g
    self.outputChannels = outputChannels
    shape = bc_conv_shape(
      h: Int32(g.inputHeight), w: Int32(g.inputWidth), c: Int32(g.channels),
      kh: Int32(g.kernelHeight), kw: Int32(g.kernelWidth), sy: Int32(g.strideY), sx: Int32(g.strideX),
      oh: Int32(g.outputHeight), ow: Int32(g.outputWidth), oc: Int32(outputChannels),
      ocp: Int32((outputChannels + 7) / 8 * 8))
  }

  /// Scalars of a packed kernel: K * OCP in channel tiles, then the bias (OCP).
  package var packedKernelCount: Int { (geometry.patchSize + 1) * paddedChannels }

  /// kernel (K, OC), bias (OC) -> K * OCP scalars in channel tiles, then the bias (OCP), zero-padded.
  package func packKernel(
    _ kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>
  ) {
    bc_pack_kernel_tiles(kernel, Int32(geometry.patchSize), shape.oc, shape.ocp, packed)
    bc_pack_rows(bias, 1, shape.oc, shape.ocp, packed + geometry.patchSize * paddedChannels)
  }

  /// kernel (KH, KW * C, OC) -> KH * OC * paddedRun scalars in run tiles, for the input gradient.
  package func packTransposedKernel(_ kernel: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>)
  {
    bc_pack_transposed_kernel(
      kernel, shape.kh, shape.kw * shape.c, shape.oc, Int32(paddedRun), packed)
  }

  /// x: `images` images (H, W, C) -> y: (images * OH * OW, OC) = act(conv + bias), bias and
  /// activation applied in registers. packed: from packKernel. Throws when the kernel cannot
  /// allocate its pixel table (y is then unwritten).
  package func forward(
    _ x: UnsafePointer<Float>, images: Int, packedKernel: UnsafePointer<Float>, activation: Activation,
    y: UnsafeMutablePointer<Float>
  ) throws(TensorError) {
    let bias = packedKernel + geometry.patchSize * paddedChannels
    let status = withUnsafePointer(to: shape) {
      bc_conv_forward($0, x, Int32(images), packedKernel, bias, activation.kernelCode, y)
    }
    try check(status, "direct convolution forward")
  }

  /// Output rows `rows` of one image: x (H, W, C) -> those rows of y (OH, OW, OC), by the same
  /// micro-kernels as `forward` (each output element is the same bits), so a batch-1 forward can
  /// split its rows across cores. Rows outside 0..<OH are an error.
  package func forward(
    _ x: UnsafePointer<Float>, rows: Range<Int>, packedKernel: UnsafePointer<Float>, activation: Activation,
    y: UnsafeMutablePointer<Float>
  ) throws(TensorError) {
    guard let (part, xs, ys) = try band(rows, x: x, y: y) else { return }
    let bias = packedKernel + geometry.patchSize * paddedChannels
    let status = withUnsafePointer(to: part) {
      bc_conv_forward($0, xs, 1, packedKernel, bias, activation.kernelCode, ys)
    }
    try check(status, "direct convolution forward")
  }

  /// Output rows `rows` of one image as a convolution of their own: the shape with those rows, and
  /// where their input and output start. nil for no rows; rows outside 0..<OH are an error.
  private func band(_ rows: Range<Int>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>)
    throws(TensorError) -> (bc_conv_shape, UnsafePointer<Float>, UnsafeMutablePointer<Float>)?
  {
    let g = geometry
    guard rows.lowerBound >= 0, rows.upperBound <= g.outputHeight else {
      throw .invalidArgument("output rows \(rows) of a \(g.outputHeight)-row convolution")
    }
    guard !rows.isEmpty else { return nil }
    var part = shape
    part.oh = Int32(rows.count)
    return (
      part, x + rows.lowerBound * g.strideY * g.inputWidth * g.channels,
      y + rows.lowerBound * g.outputWidth * outputChannels
    )
  }

  /// Channel tiles of the forward kernels (8 to 24 channels each): how a layer splits by channel.
  package var channelTiles: Int { Int(bc_conv_channel_tiles(shape.ocp)) }

  /// Channel tiles `tiles` of one image: packs those tiles of kernel (K, OC) and bias (OC) into
  /// `packedKernel` (packKernel's layout) and computes those channels of y (OH * OW, OC) = the same
  /// bits as `forward`. Disjoint tiles touch disjoint memory, so threads can split a layer by
  /// channel, each packing and reading only its own weights.
  /// With `rows`, only those output rows of those tiles (a chunk of a split by tile and row; each
  /// chunk packs its tiles' weights into its own `packedKernel`).
  package func forward(
    _ x: UnsafePointer<Float>, tiles: Range<Int>, rows: Range<Int>? = nil, kernel: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, packedKernel: UnsafeMutablePointer<Float>, activation: Activation,
    y: UnsafeMutablePointer<Float>
  ) throws(TensorError) {
    guard tiles.lowerBound >= 0, tiles.upperBound <= channelTiles else {
      throw .invalidArgument("channel tiles \(tiles) of a \(channelTiles)-tile convolution")
    }
    guard let (part, xs, ys) = try band(rows ?? 0..<geometry.outputHeight, x: x, y: y) else { return }
    let status = withUnsafePointer(to: part) {
      bc_conv_forward_tiles(
        $0, xs, kernel, bias, activation.kernelCode, Int32(tiles.lowerBound), Int32(tiles.count),
        packedKernel, ys)
    }
    try check(status, "direct convolution forward")
  }

  /// delta (rows, OCP) = dy * act'(y), zero padding columns; biasGradient (OCP) += its column sums.
  package func activationDelta(
    _ dy: UnsafePointer<Float>, output y: UnsafePointer<Float>, rows: Int, activation: Activation,
    delta: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>
  ) {
    bc_activation_delta(dy, y, Int32(rows), shape.oc, shape.ocp, activation.kernelCode, delta, biasGradient)
  }

  /// gradient (K, OCP) += patches(x)^T x delta; delta: (images * OH * OW, OCP).
  package func accumulateWeightGradient(
    _ x: UnsafePointer<Float>, images: Int, delta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: shape) { bc_conv_weight_grad($0, x, Int32(images), delta, gradient) }
  }

  /// dx: (images, H, W, C) overwritten with the input gradient of delta (images * OH * OW, OCP).
  /// Throws when the kernel cannot allocate its pixel table (dx is then unwritten).
  package func inputGradient(
    _ delta: UnsafePointer<Float>, images: Int, transposedKernel: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>
  ) throws(TensorError) {
    let status = withUnsafePointer(to: shape) {
      bc_conv_input_grad($0, delta, Int32(images), transposedKernel, dx)
    }
    try check(status, "direct convolution input gradient")
  }

  private func check(_ status: bc_conv_status, _ what: String) throws(TensorError) {
    guard status == BC_CONV_OK else {
      throw .outOfMemory("\(what): no memory for the \(geometry.outputPixels)-pixel offset table")
    }
  }

  /// Makes the calling thread's next `count` kernel allocations fail (tests of the failure path).
  package static func failAllocationsForTesting(_ count: Int) {
    bc_conv_fail_allocations_for_testing(Int32(count))
  }
}

extension Activation {
  /// The enum conv_kernels.h declares.
  var kernelCode: bc_activation {
    switch self {
    case .linear: BC_ACTIVATION_LINEAR
    case .relu: BC_ACTIVATION_RELU
    case .elu: BC_ACTIVATION_ELU
    }
  }
}

/// src (rows, cols) -> dst (rows, ld) with zeroed padding columns.
package func packRows(
  _ src: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into dst: UnsafeMutablePointer<Float>
) {
  bc_pack_rows(src, Int32(rows), Int32(columns), Int32(ld), dst)
}
