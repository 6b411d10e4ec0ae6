// Seeded augmentations of training images: brightness, a random shadow, a horizontal shift with
// the steering adjusted per pixel (NVIDIA's viewpoint shift), and optionally a colour jitter.
// Parameters are drawn at planning time from the sample's own random stream, so labels are known
// before any decoding and results do not depend on threads.

import TensorCore

/// What augmented copies may do. With `copies == 0` (the default) nothing is augmented.
public struct AugmentationOptions: Sendable, Hashable, Codable {
  /// Augmented copies per training sample, besides the plain one.
  public var copies = 0
  /// Brightness factor range (value channel scaled, hue and saturation kept).
  public var brightnessMin: Float = 0.5
  public var brightnessMax: Float = 1.25
  /// Probability of a shadow: one side of a random line from top to bottom edge darkened.
  public var shadowProbability: Float = 0.5
  /// Shadowed pixels keep this share of their brightness (drawn from the range).
  public var shadowMin: Float = 0.45
  public var shadowMax: Float = 0.8
  /// Largest horizontal shift in output pixels (uniform in -maxShift...maxShift).
  public var maxShift = 16
  /// Steering added per output pixel of rightward shift. The usual 0.004 per pixel of a 320-wide
  /// frame is 0.01 per pixel at 128 wide.
  public var steeringPerPixel: Float = 0.01
  /// Hue and saturation jitter; nil (the default) draws none and leaves the options' encoding, and
  /// so the fingerprint of stores prepared before it existed, unchanged.
  public var colorJitter: ColorJitterOptions? = nil

  public init() {}
}

/// A colour jitter: the hue rotated about the grey axis and the saturation scaled, both as CSS's
/// `hue-rotate()` and `saturate()` filters do. It shows a model its road in colours the recording
/// never had (lake's green verges and white lines; canyon's orange rock and yellow lines), so it
/// has to find the road by shape and contrast. Greys, and so white lines and asphalt, are kept.
public struct ColorJitterOptions: Sendable, Hashable, Codable {
  /// Hue rotation, uniform in -hueDegrees...hueDegrees.
  public var hueDegrees: Float
  /// Saturation factor range (0: grey, 1: kept).
  public var saturationMin: Float
  public var saturationMax: Float

  public init(hueDegrees: Float = 0, saturationMin: Float = 1, saturationMax: Float = 1) {
    self.hueDegrees = hueDegrees
    self.saturationMin = saturationMin
    self.saturationMax = saturationMax
  }
}

/// The concrete augmentation of one sample.
public struct Augmentation: Sendable, Hashable {
  public var brightness: Float = 1
  /// Shadow line from (top, 0) to (bottom, height) in fractions of the width; nil = no shadow.
  public var shadowTop: Float? = nil
  public var shadowBottom: Float = 0
  public var shadowFactor: Float = 1
  public var shadowLeft = true
  /// Content moves right by this many pixels (negative: left); edges are replicated.
  public var shift = 0
  /// Hue rotation in degrees and saturation factor (0 and 1: colours kept).
  public var hueDegrees: Float = 0
  public var saturation: Float = 1

  public init() {}

  /// Draws one augmentation from `options`.
  package init(options: AugmentationOptions, random: inout SplitMix64) {
    brightness = random.nextFloat(
      in: min(options.brightnessMin, options.brightnessMax), max(options.brightnessMin, options.brightnessMax)
    )
    if random.nextUnitFloat() < options.shadowProbability {
      shadowTop = random.nextUnitFloat()
      shadowBottom = random.nextUnitFloat()
      shadowFactor = random.nextFloat(
        in: min(options.shadowMin, options.shadowMax), max(options.shadowMin, options.shadowMax))
      shadowLeft = random.next() & 1 == 0
    }
    if options.maxShift > 0 {
      shift = random.next(below: 2 * options.maxShift + 1) - options.maxShift
    }
    // Drawn last, and only when asked for, so the draws above stay what they were without it.
    if let jitter = options.colorJitter {
      let hue = abs(jitter.hueDegrees)
      hueDegrees = hue > 0 ? random.nextFloat(in: -hue, hue) : 0
      saturation = max(
        0,
        random.nextFloat(
          in: min(jitter.saturationMin, jitter.saturationMax), max(jitter.saturationMin, jitter.saturationMax)
        ))
    }
  }

  /// The label after a shift of `shift` pixels.
  public func steering(_ steering: Float, perPixel: Float) -> Float { steering + Float(shift) * perPixel }

  /// Applies shift, then the colour jitter, then brightness and shadow, to `image` in place.
  public func apply(to image: inout RGBImage) {
    if shift != 0 { image.shiftHorizontally(by: shift) }
    if hueDegrees != 0 || saturation != 1 {
      image.transformColors(ColorMatrix.saturate(saturation) * ColorMatrix.hueRotate(degrees: hueDegrees))
    }
    let (width, height) = (image.width, image.height)
    let shadow = shadowTop
    let brightness = brightness
    let (bottom, factor, left) = (shadowBottom, shadowFactor, shadowLeft)
    if brightness == 1 && shadow == nil { return }
    image.pixels.withUnsafeMutableBufferPointer { p in
      for y in 0..<height {
        var boundary = Float(width) * 2  // beyond the image: no pixel shadowed
        if let top = shadow {
          let t = (Float(y) + 0.5) / Float(height)
          boundary = Float(width) * (top + (bottom - top) * t)
        }
        for x in 0..<width {
          var scale = brightness
          if shadow != nil && ((Float(x) + 0.5 < boundary) == left) { scale *= factor }
          let i = (y * width + x) * 3
          scaleValue(p, i, scale)
        }
      }
    }
  }
}

/// Scales a pixel's HSV value by `scale`, keeping hue and saturation: all channels scale together,
/// and the factor is capped so the largest channel saturates at 255 instead of shifting the hue.
@inline(__always)
private func scaleValue(_ p: UnsafeMutableBufferPointer<UInt8>, _ i: Int, _ scale: Float) {
  let largest = Float(max(p[i], p[i + 1], p[i + 2]))
  let s = largest * scale > 255 ? 255 / largest : scale
  p[i] = saturate(Float(p[i]) * s)
  p[i + 1] = saturate(Float(p[i + 1]) * s)
  p[i + 2] = saturate(Float(p[i + 2]) * s)
}

extension RGBImage {
  /// Moves the content `by` pixels right (negative: left), replicating the edge column.
  public mutating func shiftHorizontally(by offset: Int) {
    guard offset != 0 else { return }
    let width = self.width
    let source = pixels
    pixels.withUnsafeMutableBufferPointer { p in
      for y in 0..<height {
        for x in 0..<width {
          let sx = min(max(x - offset, 0), width - 1)
          let o = (y * width + x) * 3
          let s = (y * width + sx) * 3
          p[o] = source[s]
          p[o + 1] = source[s + 1]
          p[o + 2] = source[s + 2]
        }
      }
    }
  }

  /// Every pixel mapped through `matrix` (rounded, clamped to 0...255).
  public mutating func transformColors(_ matrix: ColorMatrix) {
    let m = matrix.rows
    mapInPlace { r, g, b in
      (m[0] * r + m[1] * g + m[2] * b, m[3] * r + m[4] * g + m[5] * b, m[6] * r + m[7] * g + m[8] * b)
    }
  }

  /// Brightness scaled by `factor` (value channel; hue and saturation kept).
  public func adjustingBrightness(_ factor: Float) -> RGBImage {
    var augmentation = Augmentation()
    augmentation.brightness = factor
    var output = self
    augmentation.apply(to: &output)
    return output
  }
}
