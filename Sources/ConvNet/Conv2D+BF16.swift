// Conv2D in BF16 mixed precision: operands rounded to bfloat16, sums in FP32; bias, activation,
// their gradients and the weights stay FP32.
// Where every window lies inside the image (the seed model's convolutions), all three products
// run on the direct kernels (TensorCore.BF16Conv) per chunk of images, as the FP32 direct path:
// the input and delta converted to bf16 once per chunk and read in place, no patch matrix.
// Elsewhere (same padding), per worker slice (P = OH * OW pixels per image, K = KH * KW * C), BF16
// GEMMs over im2col:
//   forward      y (rows, OC)      = col (rows, K) x W (K, OC)
//   weights      dW^T (OC, K)      = delta^T (OC, rows) x col (rows, K), stored into (K, OC)
//   input        dcol (rows, K)    = delta (rows, OC) x W^T (OC, K), then col2im
// dW is computed transposed so the long pixel axis is the GEMM's inner (k-pair) dimension and
// col is packed by interleaving row pairs (a streaming pass), not by a strided transpose.
import TensorCore

extension Conv2D {
  func bf16Forward(_ x: Tensor, geometry g: ConvGeometry, mode: Mode) throws(ConvNetError) -> Tensor {
    guard BF16.isAvailable else {
      throw .invalidArgument("\(name): precision bf16: \(BF16.unavailableReason)")
    }
    let n = x.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    output.prepare(n, g.outputHeight, g.outputWidth, oc)
    if let direct = BF16Conv(geometry: g, outputChannels: oc) {
      return bf16DirectForward(x, direct: direct, mode: mode)
    }
    col.prepare(n * p, k)
    let workers = max(1, min(threads, n))
    let scratch = bf16Workers(workers)
    let packedW = bf16Kernel.buffer(BF16.packedBCount(k: k, n: oc))
    BF16.packB(kernel.values, k: k, n: oc, ldb: oc, transposed: false, into: packedW)
    let (pc, py, px) = (col.mutableBase, output.mutableBase, x.base)
    let pb = UnsafePointer(bias.values)
    let act = activation
    parallelSlices(count: n, workers: workers) { worker, images in
      let rows = images.count * p
      let c = pc + images.lowerBound * p * k
      let y = py + images.lowerBound * p * oc
      let a = scratch[worker].a.buffer(BF16.packedACount(m: rows, k: k))
      im2col(px, images: images, geometry: g, col: c)
      BF16.packA(c, m: rows, k: k, lda: k, transposed: false, into: a)
      BF16.gemm(m: rows, n: oc, k: k, a: a, b: packedW, c: y, rowStride: oc, accumulate: false)
      biasActivate(y, rows: rows, columns: oc, bias: pb, activation: act)
    }
    haveForward = mode == .training
    savedInput = nil
    return output
  }

  /// The direct kernels, per chunk of images: convert the chunk to bf16, then convolve, add the bias
  /// and activate in one pass. Each output element comes from one kernel call whatever the
  /// chunking, so the result does not depend on the thread count.
  private func bf16DirectForward(_ x: Tensor, direct: BF16Conv, mode: Mode) -> Tensor {
    let g = direct.geometry
    let n = x.shape[0]
    let (p, oc, size) = (g.outputPixels, outputChannels, g.inputImageSize)
    let packedW = bf16Kernel.buffer(direct.kernelCount)
    direct.packKernel(kernel.values, rounded: bf16Input.buffer(direct.roundedKernelCount), into: packedW)
    let xb = bf16Input.buffer(n * size)
    let (py, px) = (output.mutableBase, x.base)
    let pb = UnsafePointer(bias.values)
    let act = activation
    parallelChunks(count: n, chunk: directChunk(n), workers: threads) { _, images in
      let xs = xb + images.lowerBound * size
      BF16.convert(px + images.lowerBound * size, count: images.count * size, into: xs)
      let y = py + images.lowerBound * p * oc
      direct.forward(xs, images: images.count, packedKernel: packedW, bias: pb, activation: act, y: y)
    }
    haveForward = mode == .training
    savedInput = haveForward ? x : nil
    return output
  }

  /// The direct kernels' backward, per chunk of images as the FP32 direct path: delta = dy * act'(y)
  /// padded to OCP with the bias gradient; dW and db partials per chunk, summed in chunk order (so
  /// the gradients do not depend on which core took which chunk); dx for the chunk's images.
  private func bf16DirectBackward(_ dy: Tensor, x: Tensor, direct: BF16Conv) -> Tensor {
    let g = direct.geometry
    let n = dy.shape[0]
    let (p, k, oc, ocp, size) = (
      g.outputPixels, g.patchSize, outputChannels, direct.paddedChannels, g.inputImageSize
    )
    let workers = max(1, min(threads, n))
    let chunk = directChunk(n)
    let chunks = (n + chunk - 1) / chunk
    let scratch = bf16Workers(workers)
    delta.prepare(n * p, ocp)
    let partialBases = preparePartials(chunks, size: k * ocp + ocp)
    let needDx = computesInputGradient
    if needDx { inputGradient.prepare(n, g.inputHeight, g.inputWidth, g.channels) }
    let pdx = needDx ? inputGradient.mutableBase : nil
    let packedWT = bf16Kernel.buffer(direct.transposedKernelCount)
    if needDx {
      let rounded = bf16Input.buffer(direct.roundedKernelCount)  // the forward's input copy is spent
      direct.packTransposedKernel(kernel.values, rounded: rounded, into: packedWT)
    }
    let (pd, py, pdy, px) = (delta.mutableBase, output.base, dy.base, x.base)
    let act = activation
    parallelChunks(count: n, chunk: chunk, workers: workers) { worker, images in
      let rows = images.count * p
      let first = images.lowerBound * p
      let d = pd + first * ocp
      let part = partialBases[images.lowerBound / chunk]
      part.update(repeating: 0, count: k * ocp + ocp)
      direct.activationDelta(
        pdy + first * oc, output: py + first * oc, rows: rows, activation: act, delta: d,
        biasGradient: part + k * ocp)
      let xs = scratch[worker].b.buffer(direct.shiftedPairsCount(images: images.count))
      let a = scratch[worker].a.buffer(
        max(direct.deltaPairsCount(images: images.count), BF16.packedACount(m: rows, k: oc)))
      direct.shiftedPairs(px + images.lowerBound * size, images: images.count, into: xs)
      direct.deltaPairs(d, ldd: ocp, images: images.count, into: a)
      direct.accumulateWeightGradient(xs, images: images.count, deltaPairs: a, gradient: part)
      if let pdx {
        BF16.packA(d, m: rows, k: oc, lda: ocp, transposed: false, into: a)  // rows of channel pairs
        direct.inputGradient(
          a, images: images.count, transposedKernel: packedWT, dx: pdx + images.lowerBound * size)
      }
    }
    addChunkPartials(partialBases, k: k, oc: oc, ocp: ocp)
    return needDx ? inputGradient : noGradient
  }

  /// After bf16Forward in training mode: savedInput holds the input on the direct path, col the
  /// patches on the GEMM path.
  func bf16Backward(_ dy: Tensor, geometry g: ConvGeometry) -> Tensor {
    let saved = savedInput
    savedInput = nil  // so the previous layer's workspace is uniquely owned again next step
    if let x = saved, let direct = BF16Conv(geometry: g, outputChannels: outputChannels) {
      return bf16DirectBackward(dy, x: x, direct: direct)
    }
    let n = dy.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    let workers = max(1, min(threads, n))
    let scratch = bf16Workers(workers)
    delta.prepare(n * p, oc)
    let partialBases = preparePartials(workers, size: k * oc + oc)
    let needDx = computesInputGradient
    if needDx { inputGradient.prepare(n, g.inputHeight, g.inputWidth, g.channels) }
    let pdx = needDx ? inputGradient.mutableBase : nil
    // W^T (OC, K), packed once for every worker's input gradient.
    let packedWT = bf16Kernel.buffer(BF16.packedBCount(k: oc, n: k))
    if needDx { BF16.packB(kernel.values, k: oc, n: k, ldb: oc, transposed: true, into: packedWT) }
    let (pd, pc, py, pdy) = (delta.mutableBase, col.mutableBase, output.base, dy.base)
    let act = activation
    parallelSlices(count: n, workers: workers) { worker, images in
      let rows = images.count * p
      let first = images.lowerBound * p
      let d = pd + first * oc
      d.update(from: pdy + first * oc, count: rows * oc)
      act.backward(output: py + first * oc, gradient: d, count: rows * oc)
      let c = pc + first * k
      let part = partialBases[worker]
      let a = scratch[worker].a.buffer(
        max(BF16.packedACount(m: oc, k: rows), needDx ? BF16.packedACount(m: rows, k: oc) : 0))
      let b = scratch[worker].b.buffer(BF16.packedBCount(k: rows, n: k))
      BF16.packA(d, m: oc, k: rows, lda: oc, transposed: true, into: a)
      BF16.packB(c, k: rows, n: k, ldb: k, transposed: false, into: b)
      BF16.gemm(m: oc, n: k, k: rows, a: a, b: b, c: part, rowStride: 1, columnStride: oc, accumulate: false)
      let pbias = part + k * oc
      pbias.update(repeating: 0, count: oc)
      for r in 0..<rows { for j in 0..<oc { pbias[j] += d[r * oc + j] } }
      if let pdx {
        BF16.packA(d, m: rows, k: oc, lda: oc, transposed: false, into: a)
        BF16.gemm(m: rows, n: k, k: oc, a: a, b: packedWT, c: c, rowStride: k, accumulate: false)
        col2im(c, images: images, geometry: g, dx: pdx)
      }
    }
    addWorkerPartials(partialBases, k: k, oc: oc)
    return needDx ? inputGradient : noGradient
  }

  /// One pair of scratch buffers per worker.
  private func bf16Workers(_ workers: Int) -> [(a: BF16Scratch, b: BF16Scratch)] {
    while bf16Scratch.count < workers { bf16Scratch.append((BF16Scratch(), BF16Scratch())) }
    return bf16Scratch
  }
}
