// Conv2D in BF16 mixed precision: im2col as on the FP32 fallback path, then each product as a
// BF16 GEMM (operands rounded to bfloat16, sums in FP32); bias, activation, their gradients and
// the weights stay FP32. Per worker slice of images (P = OH * OW pixels per image, K = KH * KW * C):
//   forward      y (rows, OC)      = col (rows, K) x W (K, OC)
//   weights      dW^T (OC, K)      = delta^T (OC, rows) x col (rows, K), stored into (K, OC)
//   input        dcol (rows, K)    = delta (rows, OC) x W^T (OC, K), then col2im
// dW is computed transposed so the long pixel axis is the GEMM's inner (k-pair) dimension and
// col is packed by interleaving row pairs (a streaming pass), not by a strided transpose.
// Where every window lies inside the image (the seed model's convolutions), the patches are
// packed straight from the input, with no FP32 col written and read back.
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
    let inside = BF16.patchesInside(g)
    if !inside { col.prepare(n * p, k) }
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
      if inside {
        let xs = px + images.lowerBound * g.inputImageSize
        BF16.packPatches(xs, images: images.count, geometry: g, asB: false, into: a)
      } else {
        im2col(px, images: images, geometry: g, col: c)
        BF16.packA(c, m: rows, k: k, lda: k, transposed: false, into: a)
      }
      BF16.gemm(m: rows, n: oc, k: k, a: a, b: packedW, c: y, rowStride: oc, accumulate: false)
      biasActivate(y, rows: rows, columns: oc, bias: pb, activation: act)
    }
    haveForward = mode == .training
    savedInput = haveForward && inside ? x : nil
    return output
  }

  /// After bf16Forward in training mode (col still holds its patches, or savedInput the input).
  func bf16Backward(_ dy: Tensor, geometry g: ConvGeometry) -> Tensor {
    let saved = savedInput
    savedInput = nil  // so the previous layer's workspace is uniquely owned again next step
    let n = dy.shape[0]
    let p = g.outputPixels
    let k = g.patchSize
    let oc = outputChannels
    let workers = max(1, min(threads, n))
    let scratch = bf16Workers(workers)
    delta.prepare(n * p, oc)
    if partials.count != workers || partials.first?.count != k * oc + oc {
      partials = (0..<workers).map { _ in Tensor.zeros([k * oc + oc]) }
    }
    let partialBases = (0..<workers).map { partials[$0].mutableBase }
    let needDx = computesInputGradient
    if needDx { inputGradient.prepare(n, g.inputHeight, g.inputWidth, g.channels) }
    let pdx = needDx ? inputGradient.mutableBase : nil
    // W^T (OC, K), packed once for every worker's input gradient.
    let packedWT = bf16Kernel.buffer(BF16.packedBCount(k: oc, n: k))
    if needDx { BF16.packB(kernel.values, k: oc, n: k, ldb: oc, transposed: true, into: packedWT) }
    if saved != nil, needDx { col.prepare(n * p, k) }  // dcol only
    let px = saved?.base
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
      if let px {
        let xs = px + images.lowerBound * g.inputImageSize
        BF16.packPatches(xs, images: images.count, geometry: g, asB: true, into: b)
      } else {
        BF16.packB(c, k: rows, n: k, ldb: k, transposed: false, into: b)
      }
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
