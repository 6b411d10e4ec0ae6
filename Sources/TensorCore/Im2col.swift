// im2col / col2im for NHWC images. A convolution becomes one GEMM:
//   col: (N * OH * OW, KH * KW * C) x kernel: (KH * KW * C, OC) -> y: (N * OH * OW, OC) = NHWC output.
// col2im is the adjoint (it scatters-adds rows back), used for the input gradient.
// Fast kernels copy whole runs of KW * C contiguous input scalars; references go scalar by scalar.

/// x: (N, H, W, C) images `images` -> col rows for those images, starting at `col`.
package func im2col(
  _ x: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry, col: UnsafeMutablePointer<Float>
) {
  let c = g.channels
  let run = g.kernelWidth * c
  let k = g.patchSize
  var row = 0
  for n in images {
    let image = x + n * g.inputImageSize
    for oy in 0..<g.outputHeight {
      let iy0 = oy * g.strideY - g.padTop
      for ox in 0..<g.outputWidth {
        let ix0 = ox * g.strideX - g.padLeft
        let dst = col + row * k
        row += 1
        let interiorX = ix0 >= 0 && ix0 + g.kernelWidth <= g.inputWidth
        for ky in 0..<g.kernelHeight {
          let iy = iy0 + ky
          let d = dst + ky * run
          if iy < 0 || iy >= g.inputHeight {
            d.update(repeating: 0, count: run)
          } else if interiorX {
            d.update(from: image + (iy * g.inputWidth + ix0) * c, count: run)
          } else {
            for kx in 0..<g.kernelWidth {
              let ix = ix0 + kx
              if ix < 0 || ix >= g.inputWidth {
                (d + kx * c).update(repeating: 0, count: c)
              } else {
                (d + kx * c).update(from: image + (iy * g.inputWidth + ix) * c, count: c)
              }
            }
          }
        }
      }
    }
  }
}

/// Reference im2col: the definition, one scalar at a time.
package func im2colReference(
  _ x: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry, col: UnsafeMutablePointer<Float>
) {
  var row = 0
  for n in images {
    for oy in 0..<g.outputHeight {
      for ox in 0..<g.outputWidth {
        for ky in 0..<g.kernelHeight {
          for kx in 0..<g.kernelWidth {
            for ch in 0..<g.channels {
              let iy = oy * g.strideY - g.padTop + ky
              let ix = ox * g.strideX - g.padLeft + kx
              let inside = iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth
              let v = inside ? x[((n * g.inputHeight + iy) * g.inputWidth + ix) * g.channels + ch] : 0
              col[row * g.patchSize + (ky * g.kernelWidth + kx) * g.channels + ch] = v
            }
          }
        }
        row += 1
      }
    }
  }
}

/// col rows for `images` (starting at `col`) -> dx: (N, H, W, C); those images of dx are
/// overwritten with the scatter-added sum (other images are untouched).
package func col2im(
  _ col: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry, dx: UnsafeMutablePointer<Float>
) {
  let c = g.channels
  let run = g.kernelWidth * c
  let k = g.patchSize
  var row = 0
  for n in images {
    let image = dx + n * g.inputImageSize
    image.update(repeating: 0, count: g.inputImageSize)
    for oy in 0..<g.outputHeight {
      let iy0 = oy * g.strideY - g.padTop
      for ox in 0..<g.outputWidth {
        let ix0 = ox * g.strideX - g.padLeft
        let src = col + row * k
        row += 1
        for ky in 0..<g.kernelHeight {
          let iy = iy0 + ky
          if iy < 0 || iy >= g.inputHeight { continue }
          let s = src + ky * run
          let rowBase = image + iy * g.inputWidth * c
          if ix0 >= 0 && ix0 + g.kernelWidth <= g.inputWidth {
            let d = rowBase + ix0 * c
            for i in 0..<run { d[i] += s[i] }
          } else {
            for kx in 0..<g.kernelWidth {
              let ix = ix0 + kx
              if ix < 0 || ix >= g.inputWidth { continue }
              let d = rowBase + ix * c
              for ch in 0..<c { d[ch] += s[kx * c + ch] }
            }
          }
        }
      }
    }
  }
}

/// Reference col2im: the adjoint of im2colReference, one scalar at a time.
package func col2imReference(
  _ col: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry, dx: UnsafeMutablePointer<Float>
) {
  for n in images {
    (dx + n * g.inputImageSize).update(repeating: 0, count: g.inputImageSize)
  }
  var row = 0
  for n in images {
    for oy in 0..<g.outputHeight {
      for ox in 0..<g.outputWidth {
        for ky in 0..<g.kernelHeight {
          for kx in 0..<g.kernelWidth {
            for ch in 0..<g.channels {
              let iy = oy * g.strideY - g.padTop + ky
              let ix = ox * g.strideX - g.padLeft + kx
              guard iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth else { continue }
              dx[((n * g.inputHeight + iy) * g.inputWidth + ix) * g.channels + ch] +=
                col[row * g.patchSize + (ky * g.kernelWidth + kx) * g.channels + ch]
            }
          }
        }
        row += 1
      }
    }
  }
}

extension Tensor {
  /// (N, H, W, C) -> (N * OH * OW, KH * KW * C).
  public func im2col(_ geometry: ConvGeometry) throws(TensorError) -> Tensor {
    let n = try imageCount(matching: geometry)
    var out = Tensor(uninitializedShape: [n * geometry.outputPixels, geometry.patchSize])
    withUnsafePointer { x in
      out.withUnsafeMutablePointer { TensorCore.im2col(x, images: 0..<n, geometry: geometry, col: $0) }
    }
    return out
  }

  /// (N * OH * OW, KH * KW * C) -> (N, H, W, C), summing overlapping windows.
  public func col2im(_ geometry: ConvGeometry) throws(TensorError) -> Tensor {
    guard rank == 2, shape[1] == geometry.patchSize, shape[0] % Swift.max(geometry.outputPixels, 1) == 0
    else {
      throw .shapeMismatch("col \(shape) does not fit geometry \(geometry)")
    }
    let n = shape[0] / geometry.outputPixels
    var out = Tensor(
      uninitializedShape: [n, geometry.inputHeight, geometry.inputWidth, geometry.channels])
    withUnsafePointer { c in
      out.withUnsafeMutablePointer { TensorCore.col2im(c, images: 0..<n, geometry: geometry, dx: $0) }
    }
    return out
  }

  package func imageCount(matching g: ConvGeometry) throws(TensorError) -> Int {
    guard rank == 4, shape[1] == g.inputHeight, shape[2] == g.inputWidth, shape[3] == g.channels else {
      throw .shapeMismatch(
        "expected (N, \(g.inputHeight), \(g.inputWidth), \(g.channels)), got \(shape)")
    }
    return shape[0]
  }
}
