// VisualBackProp (Bojarski et al. 2017, "VisualBackProp: efficient visualization of CNNs"): which
// input pixels the convolutional stack responds to, from one inference forward and a few cheap
// single-channel passes. No gradients: training state and speed are untouched.
//
// For one uint8 image x: (H, W, C), with conv stages 1...L (stage i: Conv2D i and any elementwise
// layers right after it; a_i: (H_i, W_i) = max(0, mean over channels of the stage's output)):
//   m = a_L
//   for i = L...1:
//     m = upsample_i(m)            // (H_i, W_i) -> conv i's input size (see `upsample`)
//     if i > 1: m = m * a_{i-1}    // pointwise
//   m = (m - min m) / (max m - min m)   // 0...1 at the first conv's input size
//   place m back through leading Cropping2D layers (zeros in the cropped rows and columns) -> (H, W)
// MaxPooling2D between stages is upsampled like a conv (all-ones window, its size and stride) with
// no product (it has no stage map of its own). Exact choices are in docs/saliency.md.
import TensorCore

/// A VisualBackProp saliency mask over a model's input image.
public struct SaliencyMask: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// (height, width) row-major, 0...1 (1 = most salient). All zeros when the raw map is constant.
  public var values: [Float]
  /// The raw map's smallest and largest value before normalisation (at the first conv's input).
  public var rawRange: ClosedRange<Float>

  public init(width: Int, height: Int, values: [Float], rawRange: ClosedRange<Float> = 0...1) {
    self.width = width
    self.height = height
    self.values = values
    self.rawRange = rawRange
  }

  public subscript(row row: Int, column column: Int) -> Float { values[row * width + column] }
}

extension Sequential {
  /// VisualBackProp saliency of one uint8 HWC image (the model's input shape), from one
  /// inference forward. Throws for a model without Conv2D layers or with a layer VisualBackProp
  /// cannot pass back through (anything but Conv2D, MaxPooling2D, Cropping2D and elementwise
  /// layers below the deepest conv).
  public func visualBackProp(image: UnsafeBufferPointer<UInt8>) throws(ConvNetError) -> SaliencyMask {
    try predictWithSaliency(image: image).saliency
  }

  /// The prediction (first output, as `predict(image:)`) and its VisualBackProp mask from the same
  /// forward: the stage maps are averaged as the forward passes them, so the mask costs a channel
  /// mean per conv stage plus single-channel upsampling, not a second forward.
  public func predictWithSaliency(image: UnsafeBufferPointer<UInt8>) throws(ConvNetError) -> (
    prediction: Float, saliency: SaliencyMask
  ) {
    let plan = try VisualBackPropPlan(model: self)
    let (x, first) = try loadFusedInput(image, count: 1)
    // The fused leading layers (crop, rescaling) hold no stage: the plan's stages start at a Conv2D.
    var stageMaps = [[Float]?](repeating: nil, count: layers.count)
    var h = x
    for i in layers.indices[first...] {
      h = try layers[i].forward(h, mode: .inference)
      if plan.stageEnds.contains(i) { stageMaps[i] = Self.clampedChannelMean(h) }
    }
    let prediction = h.base[0]
    return (prediction, try plan.backProject(stageMaps, model: self))
  }

  /// The stage map: the mean over channels, negative means clamped to 0. With ReLU the means are
  /// never negative (the paper's case, unchanged); with ELU a negative mean is a region whose units
  /// sit in their saturated "off" range, and two of them multiplied would turn into spurious saliency.
  // y: (1, H, W, C) -> (H, W)
  static func clampedChannelMean(_ y: Tensor) -> [Float] {
    let c = y.shape[3]
    let pixels = y.count / c
    let p = y.base
    let scale = 1 / Float(c)
    return [Float](unsafeUninitializedCapacity: pixels) { out, done in
      for i in 0..<pixels {
        var s: Float = 0
        for k in 0..<c { s += p[i * c + k] }
        out[i] = max(s * scale, 0)
      }
      done = pixels
    }
  }
}

/// Where VisualBackProp reads stage maps and how it walks back down a model's layers.
struct VisualBackPropPlan {
  /// Layers whose output is a stage map: each Conv2D, or the last elementwise layer right after it.
  var stageEnds: Set<Int> = []
  /// The deepest stage's last layer: the walk down starts there.
  var deepest = -1
  /// The lowest Conv2D or MaxPooling2D: the mask is normalised at its input.
  var lowestWindow = -1

  init(model: Sequential) throws(ConvNetError) {
    let layers = model.layers
    var i = 0
    while i < layers.count {
      if layers[i] is Conv2D {
        if lowestWindow < 0 { lowestWindow = i }
        var end = i
        while end + 1 < layers.count, Self.isElementwise(layers[end + 1]) { end += 1 }
        stageEnds.insert(end)
        deepest = end
        i = end + 1
      } else {
        if layers[i] is MaxPooling2D, lowestWindow < 0 { lowestWindow = i }
        i += 1
      }
    }
    guard deepest >= 0 else {
      throw .invalidArgument("VisualBackProp needs a Conv2D layer; the model has none")
    }
    for layer in layers[...deepest] {
      guard Self.isElementwise(layer) || layer is Conv2D || layer is MaxPooling2D || layer is Cropping2D
      else {
        throw .invalidArgument(
          "VisualBackProp cannot pass back through \(layer.name) (\(layer.typeName)) below the last Conv2D")
      }
    }
  }

  /// Same shape in and out, pixel by pixel: the stage map is read after them.
  static func isElementwise(_ layer: any Layer) -> Bool {
    layer is ActivationLayer || layer is Dropout || layer is BatchNormalization || layer is Rescaling
  }

  /// Stage maps (indexed by layer) -> the normalised mask over the model input.
  func backProject(_ stageMaps: [[Float]?], model: Sequential) throws(ConvNetError) -> SaliencyMask {
    let shapes = model.layerOutputShapes
    guard var m = stageMaps[deepest] else {
      throw .invalidArgument("VisualBackProp: no map for the deepest stage")
    }
    var (h, w) = (shapes[deepest][0], shapes[deepest][1])
    var raw: ClosedRange<Float> = 0...0
    for j in stride(from: deepest, through: 0, by: -1) {
      let below = j == 0 ? model.inputShape : shapes[j - 1]
      switch model.layers[j] {
      case let conv as Conv2D:
        m = try Self.upsample(
          m, height: h, width: w, to: below, kernel: conv.kernelSize, stride: conv.stride,
          padding: conv.padding)
      case let pool as MaxPooling2D:
        m = try Self.upsample(
          m, height: h, width: w, to: below, kernel: pool.poolSize, stride: pool.stride, padding: pool.padding
        )
      case let crop as Cropping2D:
        m = Self.uncrop(
          m, height: h, width: w, to: (below[0], below[1]), top: crop.rows.top, left: crop.columns.left)
      default:
        break  // elementwise: same (H, W)
      }
      (h, w) = (below[0], below[1])
      if j > 0, let a = stageMaps[j - 1] {
        m.withUnsafeMutableBufferPointer { p in
          a.withUnsafeBufferPointer { q in for k in 0..<p.count { p[k] *= q[k] } }
        }
      }
      if j == lowestWindow { raw = Self.normalize(&m) }
    }
    return SaliencyMask(width: w, height: h, values: m, rawRange: raw)
  }

  /// Transposed convolution with an all-ones (KH, KW) kernel, the conv's stride and padding: every
  /// output cell adds its value to each input cell of its receptive field. So the result is exactly
  /// the conv's input size; input cells no window covers ('valid' remainder rows and columns at the
  /// bottom and right) stay 0, and cells of 'same' padding are dropped.
  // m: (OH, OW) -> (H, W) where (OH, OW) is the conv's output size for an (H, W) input.
  //   for oy, ox, ky, kx: y = oy * sy - padTop + ky, x = ox * sx - padLeft + kx
  //     if 0 <= y < H, 0 <= x < W: out[y][x] += m[oy][ox]
  static func upsample(
    _ m: [Float], height oh: Int, width ow: Int, to below: [Int], kernel: (height: Int, width: Int),
    stride: (y: Int, x: Int), padding: Padding
  ) throws(ConvNetError) -> [Float] {
    let g: ConvGeometry
    do {
      g = try ConvGeometry(
        inputHeight: below[0], inputWidth: below[1], channels: 1, kernelHeight: kernel.height,
        kernelWidth: kernel.width, strideY: stride.y, strideX: stride.x, padding: padding)
    } catch { throw error.convNet }
    guard g.outputHeight == oh, g.outputWidth == ow, m.count == oh * ow else {
      throw .shapeMismatch("VisualBackProp: a \(oh)x\(ow) map does not come from \(below)")
    }
    let (hh, ww) = (below[0], below[1])
    var out = [Float](repeating: 0, count: hh * ww)
    out.withUnsafeMutableBufferPointer { dst in
      m.withUnsafeBufferPointer { src in
        for oy in 0..<oh {
          for ox in 0..<ow {
            let v = src[oy * ow + ox]
            for ky in 0..<kernel.height {
              let y = oy * stride.y - g.padTop + ky
              guard y >= 0, y < hh else { continue }
              for kx in 0..<kernel.width {
                let x = ox * stride.x - g.padLeft + kx
                if x >= 0, x < ww { dst[y * ww + x] += v }
              }
            }
          }
        }
      }
    }
    return out
  }

  // m: (h, w) -> (H, W) with m at (top, left) and zeros around it (what the crop removed).
  static func uncrop(_ m: [Float], height h: Int, width w: Int, to size: (Int, Int), top: Int, left: Int)
    -> [Float]
  {
    var out = [Float](repeating: 0, count: size.0 * size.1)
    for r in 0..<h {
      for c in 0..<w { out[(top + r) * size.1 + left + c] = m[r * w + c] }
    }
    return out
  }

  /// In place to 0...1 by min-max (all zeros when constant or not finite); returns the raw range.
  static func normalize(_ m: inout [Float]) -> ClosedRange<Float> {
    guard let lo = m.min(), let hi = m.max() else { return 0...0 }
    guard hi > lo, (hi - lo).isFinite else {
      for k in m.indices { m[k] = 0 }
      return lo.isFinite && hi.isFinite ? lo...hi : 0...0
    }
    let scale = 1 / (hi - lo)
    for k in m.indices { m[k] = (m[k] - lo) * scale }
    return lo...hi
  }
}
