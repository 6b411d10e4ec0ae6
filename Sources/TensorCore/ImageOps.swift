// Image operations on NHWC tensors: crop, horizontal flip, uint8 -> Float with scale and offset.

extension Tensor {
  /// Removes `top`/`bottom` rows and `left`/`right` columns: (N, H, W, C) -> (N, H-t-b, W-l-r, C).
  public func cropped(top: Int, bottom: Int, left: Int, right: Int) throws(TensorError) -> Tensor {
    guard rank == 4 else { throw .invalidArgument("crop needs (N, H, W, C), got \(shape)") }
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    guard Swift.min(top, bottom, left, right) >= 0, top + bottom < h, left + right < w else {
      throw .invalidArgument("crop (\(top), \(bottom)), (\(left), \(right)) does not fit \(h)x\(w)")
    }
    let oh = h - top - bottom
    let ow = w - left - right
    var out = Tensor(uninitializedShape: [n, oh, ow, c])
    withUnsafePointer { x in
      out.withUnsafeMutablePointer { y in
        crop(x, n: n, h: h, w: w, c: c, top: top, left: left, outH: oh, outW: ow, y: y)
      }
    }
    return out
  }

  /// Mirrors each image left-right.
  public func flippedHorizontally() throws(TensorError) -> Tensor {
    guard rank == 4 else { throw .invalidArgument("flip needs (N, H, W, C), got \(shape)") }
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    var out = Tensor(uninitializedShape: shape)
    withUnsafePointer { x in
      out.withUnsafeMutablePointer { y in
        for row in 0..<(n * h) {
          for col in 0..<w {
            (y + (row * w + col) * c).update(from: x + (row * w + (w - 1 - col)) * c, count: c)
          }
        }
      }
    }
    return out
  }

  /// Float tensor `Float(byte) * scale + offset` from uint8 scalars (e.g. scale 1/127.5, offset -1).
  public init(uint8 bytes: [UInt8], shape: [Int], scale: Float = 1, offset: Float = 0) throws(TensorError) {
    guard shape.reduce(1, *) == bytes.count, shape.allSatisfy({ $0 >= 0 }) else {
      throw .shapeMismatch("\(bytes.count) bytes do not fill shape \(shape)")
    }
    self.init(uninitializedShape: shape)
    let n = bytes.count
    bytes.withUnsafeBufferPointer { b in
      withUnsafeMutablePointer {
        convertUInt8(b.baseAddress!, count: n, scale: scale, offset: offset, into: $0)
      }
    }
  }
}

/// x: (n, h, w, c) -> y: (n, outH, outW, c), window at (top, left). Rows are contiguous runs.
package func crop(
  _ x: UnsafePointer<Float>, n: Int, h: Int, w: Int, c: Int, top: Int, left: Int, outH: Int, outW: Int,
  y: UnsafeMutablePointer<Float>
) {
  for i in 0..<n {
    for r in 0..<outH {
      (y + ((i * outH + r) * outW) * c).update(from: x + ((i * h + top + r) * w + left) * c, count: outW * c)
    }
  }
}

/// y[i] = Float(x[i]) * scale + offset.
package func convertUInt8(
  _ x: UnsafePointer<UInt8>, count: Int, scale: Float, offset: Float, into y: UnsafeMutablePointer<Float>
) {
  for i in 0..<count { y[i] = Float(x[i]) * scale + offset }
}
