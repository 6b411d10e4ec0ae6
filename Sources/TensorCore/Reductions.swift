// Reductions: whole-tensor and over chosen axes (accumulated in Double for stable sums).

extension Tensor {
  public func sum() -> Float {
    var s = 0.0
    for i in 0..<count { s += Double(storage.base[i]) }
    return Float(s)
  }

  public func mean() -> Float { count == 0 ? .nan : Float(Double(sum()) / Double(count)) }

  public func max() -> Float? { count == 0 ? nil : scalars.max() }
  public func min() -> Float? { count == 0 ? nil : scalars.min() }

  /// Sum over `axes` (each in 0..<rank, negatives count from the end); reduced axes are removed
  /// unless `keepingDimensions`.
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws(TensorError) -> Tensor {
    let ax = try normalizedAxes(axes)
    var outShape = shape
    for a in ax { outShape[a] = 1 }
    var acc = [Double](repeating: 0, count: outShape.reduce(1, *))
    // Walk every element with a running multi-index; map it to the reduced flat index.
    var index = [Int](repeating: 0, count: rank)
    let outStrides = Tensor.strides(outShape)
    for i in 0..<count {
      var o = 0
      for d in 0..<rank where !ax.contains(d) { o += index[d] * outStrides[d] }
      acc[o] += Double(storage.base[i])
      var d = rank - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < shape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    let final = keepingDimensions ? outShape : shape.indices.filter { !ax.contains($0) }.map { shape[$0] }
    return Tensor(shape: final, storage: Tensor(acc.map { Float($0) }).storage)
  }

  /// Mean over `axes`.
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) throws(TensorError) -> Tensor {
    let ax = try normalizedAxes(axes)
    let n = ax.map { shape[$0] }.reduce(1, *)
    return try sum(alongAxes: Array(ax), keepingDimensions: keepingDimensions) / Float(Swift.max(n, 1))
  }

  private func normalizedAxes(_ axes: [Int]) throws(TensorError) -> Set<Int> {
    var out = Set<Int>()
    for a in axes {
      let b = a < 0 ? a + rank : a
      guard b >= 0 && b < rank else { throw .invalidArgument("axis \(a) out of range for rank \(rank)") }
      out.insert(b)
    }
    return out
  }

  /// Row-major strides of `shape`.
  public static func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      s[d] = acc
      acc *= shape[d]
    }
    return s
  }
}
