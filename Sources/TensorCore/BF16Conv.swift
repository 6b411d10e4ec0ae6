// Direct BF16 convolution (Sources/CConvKernels/bf16_conv.c): forward, weight gradient and input
// gradient on bfloat16 images and deltas read in place, FP32 sums, no patch matrix. Used by Conv2D under
// `precision = .bf16` where every window lies inside the image; elsewhere (same padding) Conv2D runs
// BF16 GEMMs over im2col. The tests hold both to FP32 layers fed the rounded operands.
import CConvKernels

package struct BF16Conv: Sendable {
  package let geometry: ConvGeometry
  private let shape: bc_conv_shape

  /// nil when the CPU lacks AVX-512 BF16 or some window reaches into padding.
  package init?(geometry g: ConvGeometry, outputChannels: Int) {
    guard BF16.cpuSupportsKernels, BF16.patchesInside(g), outputChannels > 0 else { return nil }
    geometry = g
    shape = bc_conv_shape(
      h: Int32(g.inputHeight), w: Int32(g.inputWidth), c: Int32(g.channels),
      kh: Int32(g.kernelHeight), kw: Int32(g.kernelWidth), sy: Int32(g.strideY), sx: Int32(g.strideX),
      oh: Int32(g.outputHeight), ow: Int32(g.outputWidth), oc: Int32(outputChannels),
      ocp: Int32((outputChannels + 7) / 8 * 8))
  }

  /// UInt16s of the forward kernel, and of the input gradient's transposed kernel.
  package var kernelCount: Int { withUnsafePointer(to: shape) { bc_bf16_conv_kernel_count($0) } }
  package var transposedKernelCount: Int {
    withUnsafePointer(to: shape) { bc_bf16_conv_transposed_kernel_count($0) }
  }
  /// Row length of a bf16 delta: output channels rounded up to a pair (BF16.packA's rows).
  package var deltaRow: Int { (Int(shape.oc) + 1) & ~1 }

  /// UInt16s of the rounded kernel the packers read: K rows of OC rounded up to a pair.
  package var roundedKernelCount: Int { geometry.patchSize * deltaRow }

  /// kernel (KH, KW, C, OC) FP32 -> bf16 channel tiles of k-pairs; `rounded` is scratch of
  /// `roundedKernelCount`.
  package func packKernel(
    _ kernel: UnsafePointer<Float>, rounded: UnsafeMutablePointer<UInt16>,
    into dst: UnsafeMutablePointer<UInt16>
  ) {
    pack(kernel, rounded: rounded, into: dst, with: bc_bf16_pack_conv_kernel)
  }

  /// kernel (KH, KW, C, OC) FP32 -> bf16 run tiles of channel pairs, for the input gradient;
  /// `rounded` is scratch of `roundedKernelCount`.
  package func packTransposedKernel(
    _ kernel: UnsafePointer<Float>, rounded: UnsafeMutablePointer<UInt16>,
    into dst: UnsafeMutablePointer<UInt16>
  ) {
    pack(kernel, rounded: rounded, into: dst, with: bc_bf16_pack_conv_transposed_kernel)
  }

  /// Rounds the kernel once with the vector packer (rows of OC rounded up to a pair), then lets
  /// `packer` move the bf16 bits into its tiles.
  private func pack(
    _ kernel: UnsafePointer<Float>, rounded: UnsafeMutablePointer<UInt16>,
    into dst: UnsafeMutablePointer<UInt16>,
    with packer: (UnsafePointer<bc_conv_shape>?, UnsafePointer<UInt16>?, UnsafeMutablePointer<UInt16>?) ->
      Void
  ) {
    BF16.packA(
      kernel, m: geometry.patchSize, k: Int(shape.oc), lda: Int(shape.oc), transposed: false, into: rounded)
    withUnsafePointer(to: shape) { packer($0, rounded, dst) }
  }

  /// xb: `images` bf16 images (H, W, C) -> y (images * OH * OW, OC) = act(conv + bias), bias (OC)
  /// and activation applied in FP32 registers.
  package func forward(
    _ xb: UnsafePointer<UInt16>, images: Int, packedKernel: UnsafePointer<UInt16>, bias: UnsafePointer<Float>,
    activation: Activation, y: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: shape) {
      bc_bf16_conv_forward($0, xb, Int32(images), packedKernel, bias, activation.kernelCode, y)
    }
  }

  /// Output channels rounded up to a multiple of 8: the row length of the weight gradient and of
  /// the FP32 delta the backward pass reads.
  package var paddedChannels: Int { Int(shape.ocp) }
  /// UInt16s of `shiftedPairs` for `images` images, and of `deltaPairs` for their deltas.
  package func shiftedPairsCount(images: Int) -> Int { 2 * images * geometry.inputImageSize }
  package func deltaPairsCount(images: Int) -> Int {
    images * geometry.outputHeight * (geometry.outputWidth + 1) / 2 * 2 * paddedChannels
  }

  /// delta (rows, OCP) = dy * act'(y), zero beyond OC, and biasGradient (OCP) += its column sums;
  /// dy and y: (rows, OC). (The FP32 kernels' pass: the weight gradient sums in FP32 either way.)
  package func activationDelta(
    _ dy: UnsafePointer<Float>, output y: UnsafePointer<Float>, rows: Int, activation: Activation,
    delta: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>
  ) {
    bc_activation_delta(dy, y, Int32(rows), shape.oc, shape.ocp, activation.kernelCode, delta, biasGradient)
  }

  /// x: `images` FP32 images -> bf16 pairs (x[i], x[i + SX * C]): the weight gradient's input.
  package func shiftedPairs(_ x: UnsafePointer<Float>, images: Int, into dst: UnsafeMutablePointer<UInt16>) {
    withUnsafePointer(to: shape) { bc_bf16_shifted_pairs($0, x, Int32(images), dst) }
  }

  /// delta (images * OH * OW, ldd) FP32 -> bf16 pairs of horizontal neighbours per channel.
  package func deltaPairs(
    _ delta: UnsafePointer<Float>, ldd: Int, images: Int, into dst: UnsafeMutablePointer<UInt16>
  ) {
    withUnsafePointer(to: shape) { bc_bf16_delta_pairs($0, delta, Int32(ldd), Int32(images), dst) }
  }

  /// gradient (K, OCP) += patches(x)^T x delta, from `shiftedPairs` and `deltaPairs`.
  package func accumulateWeightGradient(
    _ xs: UnsafePointer<UInt16>, images: Int, deltaPairs: UnsafePointer<UInt16>,
    gradient: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: shape) { bc_bf16_conv_weight_grad($0, xs, Int32(images), deltaPairs, gradient) }
  }

  /// db: (images * OH * OW, deltaRow) bf16 -> dx (images, H, W, C), overwritten.
  package func inputGradient(
    _ db: UnsafePointer<UInt16>, images: Int, transposedKernel: UnsafePointer<UInt16>,
    dx: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: shape) { bc_bf16_conv_input_grad($0, db, Int32(images), transposedKernel, dx) }
  }
}

extension BF16 {
  /// count floats -> bfloat16 (round to nearest even), exactly count written.
  package static func convert(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutablePointer<UInt16>)
  {
    bc_bf16_convert(src, count, dst)
  }
}
