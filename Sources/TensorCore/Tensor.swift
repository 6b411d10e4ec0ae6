// Tensor: a Float32 array with a shape, contiguous row-major storage (images are NHWC) and value
// semantics with copy-on-write. Hot loops in sibling modules reach the raw buffer through `package` API.

/// Heap storage shared by tensors until one of them writes.
package final class TensorStorage: @unchecked Sendable {
  package let count: Int
  package let base: UnsafeMutablePointer<Float>

  package init(count: Int) {
    self.count = count
    // 64-byte alignment keeps SIMD loads and BLAS panels on cache-line boundaries.
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
    base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  package func copy() -> TensorStorage {
    let s = TensorStorage(count: count)
    s.base.update(from: base, count: count)
    return s
  }

  deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// A Float32 tensor: `shape` with contiguous row-major scalars. Value semantics, copy-on-write.
public struct Tensor: Sendable {
  public private(set) var shape: [Int]
  package private(set) var storage: TensorStorage

  /// Number of scalars (the product of `shape`).
  public var count: Int { storage.count }
  public var rank: Int { shape.count }

  /// A tensor of `shape` with every scalar equal to `value`.
  public init(shape: [Int], repeating value: Float) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *))
    storage.base.initialize(repeating: value, count: storage.count)
  }

  /// A tensor of `shape` holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) throws(TensorError) {
    let n = shape.reduce(1, *)
    guard shape.allSatisfy({ $0 >= 0 }), n == scalars.count else {
      throw .shapeMismatch("\(scalars.count) scalars do not fill shape \(shape)")
    }
    self.shape = shape
    storage = TensorStorage(count: n)
    scalars.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: n) }
  }

  /// A 1-D tensor of `scalars`.
  public init(_ scalars: [Float]) {
    self.shape = [scalars.count]
    storage = TensorStorage(count: scalars.count)
    scalars.withUnsafeBufferPointer {
      if let b = $0.baseAddress { storage.base.update(from: b, count: scalars.count) }
    }
  }

  package init(shape: [Int], storage: TensorStorage) {
    self.shape = shape
    self.storage = storage
  }

  /// Uninitialised scalars: only for kernels that overwrite every element.
  package init(uninitializedShape shape: [Int]) {
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *))
  }

  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
  public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

  /// All scalars, row-major.
  public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.base, count: count)) }

  /// The scalar at a full multi-index.
  public subscript(_ index: Int...) -> Float {
    get { storage.base[flatIndex(index)] }
    set {
      let flat = flatIndex(index)
      withUnsafeMutablePointer { $0[flat] = newValue }
    }
  }

  private func flatIndex(_ index: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
    var flat = 0
    for (i, d) in zip(index, shape) {
      precondition(i >= 0 && i < d, "index \(index) out of bounds for shape \(shape)")
      flat = flat * d + i
    }
    return flat
  }

  /// Same scalars, new shape (no copy). One dimension may be -1 and is inferred.
  public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
    var s = newShape
    let known = s.filter { $0 != -1 }.reduce(1, *)
    let unknown = s.indices.filter { s[$0] == -1 }
    if unknown.count > 1 || s.contains(where: { $0 < -1 }) { throw .invalidArgument("bad shape \(newShape)") }
    if let u = unknown.first {
      guard known > 0, count % known == 0 else {
        throw .shapeMismatch("cannot reshape \(shape) to \(newShape)")
      }
      s[u] = count / known
    }
    guard s.reduce(1, *) == count else { throw .shapeMismatch("cannot reshape \(shape) to \(newShape)") }
    return Tensor(shape: s, storage: storage)
  }

  /// Read-only raw access.
  package func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafePointer(storage.base))
  }

  /// Mutable raw access; copies first if the storage is shared (copy-on-write).
  package mutating func withUnsafeMutablePointer<R>(
    _ body: (UnsafeMutablePointer<Float>) throws -> R
  ) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    return try body(storage.base)
  }

  /// The mutable base pointer after making the storage unique; valid until the tensor is next
  /// copied or reassigned. For layer workspaces whose size was just fixed with `prepare(shape:)`.
  package var mutableBase: UnsafeMutablePointer<Float> {
    mutating get {
      if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
      return storage.base
    }
  }

  /// The read-only base pointer (valid while this tensor's storage is alive).
  package var base: UnsafePointer<Float> { UnsafePointer(storage.base) }

  /// `prepare(shape:)` for rank 2 that builds no shape array when nothing changes (hot paths).
  package mutating func prepare(_ a: Int, _ b: Int) {
    if shape.count == 2 && shape[0] == a && shape[1] == b && isKnownUniquelyReferenced(&storage) { return }
    prepare(shape: [a, b])
  }

  /// `prepare(shape:)` for rank 4 that builds no shape array when nothing changes (hot paths).
  package mutating func prepare(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
    if shape.count == 4 && shape[0] == a && shape[1] == b && shape[2] == c && shape[3] == d
      && isKnownUniquelyReferenced(&storage)
    {
      return
    }
    prepare(shape: [a, b, c, d])
  }

  /// The same storage under another shape with the same count (no checks, no copy).
  package func sharingStorage(shape newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }

  /// Makes this tensor `shape`, reusing the storage when it is unshared and the same size.
  /// Contents are unspecified afterwards: for workspaces that kernels overwrite.
  package mutating func prepare(shape newShape: [Int]) {
    let n = newShape.reduce(1, *)
    if n != storage.count || !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(count: n) }
    shape = newShape
  }
}

extension Tensor: Equatable {
  public static func == (a: Tensor, b: Tensor) -> Bool {
    a.shape == b.shape && (0..<a.count).allSatisfy { a.storage.base[$0] == b.storage.base[$0] }
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let head = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", ..." : "")])"
  }
}
