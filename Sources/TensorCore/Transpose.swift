// Axis permutation (a copy: storage stays contiguous row-major).

extension Tensor {
  /// Axes reordered: result axis i is source axis `permutation[i]`.
  public func transposed(_ permutation: [Int]) throws(TensorError) -> Tensor {
    guard permutation.sorted() == Array(0..<rank) else {
      throw .invalidArgument("\(permutation) is not a permutation of 0..<\(rank)")
    }
    let outShape = permutation.map { shape[$0] }
    let inStrides = Tensor.strides(shape)
    let srcStrides = permutation.map { inStrides[$0] }
    var out = Tensor(uninitializedShape: outShape)
    let src = storage.base
    let n = count
    let r = rank
    out.withUnsafeMutablePointer { dst in
      var index = [Int](repeating: 0, count: r)
      var s = 0
      for i in 0..<n {
        dst[i] = src[s]
        var d = r - 1
        while d >= 0 {
          index[d] += 1
          s += srcStrides[d]
          if index[d] < outShape[d] { break }
          s -= srcStrides[d] * outShape[d]
          index[d] = 0
          d -= 1
        }
      }
    }
    return out
  }

  /// 2-D transpose.
  public func transposed() throws(TensorError) -> Tensor {
    guard rank == 2 else { throw .invalidArgument("transposed() needs rank 2, got \(shape)") }
    return try transposed([1, 0])
  }
}
