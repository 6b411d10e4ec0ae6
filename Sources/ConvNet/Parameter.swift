// Parameters live in one flat buffer per model (values and gradients side by side), so an
// optimizer step is one loop over contiguous memory. A layer's parameter is a named slice of it.
import TensorCore

/// Contiguous values and gradients of every parameter of a model.
public final class ParameterStore: @unchecked Sendable {
  public let count: Int
  package let values: UnsafeMutablePointer<Float>
  package let gradients: UnsafeMutablePointer<Float>

  package init(count: Int) {
    self.count = count
    values = .allocate(capacity: max(count, 1))
    values.initialize(repeating: 0, count: max(count, 1))
    gradients = .allocate(capacity: max(count, 1))
    gradients.initialize(repeating: 0, count: max(count, 1))
  }

  deinit {
    values.deallocate()
    gradients.deallocate()
  }

  public func zeroGradients() { gradients.update(repeating: 0, count: count) }

  /// A copy of all values (for keep-best snapshots).
  public func snapshot() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

  public func restore(_ snapshot: [Float]) throws(ConvNetError) {
    guard snapshot.count == count else {
      throw .shapeMismatch("snapshot of \(snapshot.count) values for a store of \(count)")
    }
    snapshot.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
  }
}

/// One named parameter (e.g. a kernel or bias): a shaped slice of a `ParameterStore`.
public final class Parameter: @unchecked Sendable {
  /// Local name inside its layer: "kernel" or "bias". The model-wide name is "<layer>.<name>".
  public let name: String
  public let shape: [Int]
  public var count: Int { shape.reduce(1, *) }
  package private(set) var store: ParameterStore
  package private(set) var offset: Int

  package init(name: String, shape: [Int]) {
    self.name = name
    self.shape = shape
    store = ParameterStore(count: shape.reduce(1, *))
    offset = 0
  }

  package var values: UnsafeMutablePointer<Float> { store.values + offset }
  package var gradients: UnsafeMutablePointer<Float> { store.gradients + offset }

  /// Moves this parameter into `store` at `offset`, carrying its current values.
  package func rebind(to newStore: ParameterStore, offset newOffset: Int) {
    (newStore.values + newOffset).update(from: values, count: count)
    (newStore.gradients + newOffset).update(from: gradients, count: count)
    store = newStore
    offset = newOffset
  }

  /// The current values, shaped (HWIO for convolution kernels, (in, out) for dense kernels).
  public var value: Tensor { Self.copy(values, shape: shape) }

  /// The accumulated gradient, shaped like `value`.
  public var gradient: Tensor { Self.copy(gradients, shape: shape) }

  // A slice of the store is exactly `shape`'s element count by construction: the copy cannot
  // fail, so it needs neither a throwing initializer nor an intermediate array.
  private static func copy(_ source: UnsafeMutablePointer<Float>, shape: [Int]) -> Tensor {
    var tensor = Tensor(uninitializedShape: shape)
    let count = tensor.count
    tensor.withUnsafeMutablePointer { $0.update(from: source, count: count) }
    return tensor
  }

  /// Overwrites the values; the shape must match exactly.
  public func assign(_ tensor: Tensor) throws(ConvNetError) {
    guard tensor.shape == shape else {
      throw .shapeMismatch("parameter \(name) has shape \(shape), got \(tensor.shape)")
    }
    tensor.withUnsafePointer { values.update(from: $0, count: count) }
  }

  /// Overwrites the values from row-major scalars.
  public func assign(scalars: [Float]) throws(ConvNetError) {
    guard scalars.count == count else {
      throw .shapeMismatch("parameter \(name) has \(count) values, got \(scalars.count)")
    }
    scalars.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
  }
}
