// Optimizers over a model's flat parameter store: each step is one loop over contiguous memory.
// State (iteration count, per-parameter slots) is readable and settable so a model file can resume.
import TensorCore

public protocol Optimizer: AnyObject {
  var learningRate: Float { get set }
  /// Steps taken so far (Keras's `iterations`).
  var iterations: Int { get set }
  /// Slot names ("m", "v" for Adam; "momentum" for SGD).
  var slotNames: [String] { get }
  /// params -= update(gradients); gradients are left as they are.
  func step(_ store: ParameterStore)
  /// One slot's values for one parameter, shaped like it.
  func slot(_ slot: String, for parameter: Parameter) throws(ConvNetError) -> Tensor
  func setSlot(_ slot: String, for parameter: Parameter, to value: Tensor) throws(ConvNetError)
  /// Zeroes every slot and the iteration count (after a rollback, stale moments do more harm than good).
  func reset()
}

/// Flat slot buffers (one per slot, each as long as the parameter store), zeroed on first use.
package final class SlotBuffers {
  package private(set) var pointers: [UnsafeMutablePointer<Float>] = []
  package private(set) var count = 0
  private let slots: Int

  package init(slots: Int) { self.slots = slots }
  deinit { release() }

  private func release() {
    for p in pointers { p.deallocate() }
    pointers = []
    count = 0
  }

  package func reset() { release() }

  package func ensure(_ n: Int) {
    guard n != count || pointers.isEmpty else { return }
    release()
    pointers = (0..<slots).map { _ in
      let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
      p.initialize(repeating: 0, count: max(n, 1))
      return p
    }
    count = n
  }

  package func get(_ i: Int, _ p: Parameter) throws(ConvNetError) -> Tensor {
    ensure(p.store.count)
    let s = Array(UnsafeBufferPointer(start: pointers[i] + p.offset, count: p.count))
    do { return try Tensor(shape: p.shape, scalars: s) } catch { throw error.convNet }
  }

  package func set(_ i: Int, _ p: Parameter, _ t: Tensor) throws(ConvNetError) {
    guard t.shape == p.shape else { throw .shapeMismatch("slot for \(p.name): \(t.shape) vs \(p.shape)") }
    ensure(p.store.count)
    t.withUnsafePointer { (pointers[i] + p.offset).update(from: $0, count: p.count) }
  }
}

/// Adam with Keras semantics: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon).
public final class Adam: Optimizer {
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public var iterations = 0
  public var slotNames: [String] { ["m", "v"] }
  private let slots = SlotBuffers(slots: 2)

  /// Keras's defaults (epsilon 1e-7; the seed used 1e-8).
  public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
  }

  public func step(_ store: ParameterStore) {
    slots.ensure(store.count)
    iterations += 1
    let t = Double(iterations)
    let alpha = Float(
      Double(learningRate) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    let p = store.values
    let g = store.gradients
    let m = slots.pointers[0]
    let v = slots.pointers[1]
    // Elementwise, so slices are independent; a second core halves what is otherwise serial time
    // between two training steps.
    parallelSlices(count: store.count, workers: store.count >= 65_536 ? availableCores : 1) { _, r in
      for i in r {
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        p[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
      }
    }
  }

  public func slot(_ slot: String, for parameter: Parameter) throws(ConvNetError) -> Tensor {
    try slots.get(try index(slot), parameter)
  }

  public func setSlot(_ slot: String, for parameter: Parameter, to value: Tensor) throws(ConvNetError) {
    try slots.set(try index(slot), parameter, value)
  }

  private func index(_ slot: String) throws(ConvNetError) -> Int {
    guard let i = slotNames.firstIndex(of: slot) else { throw .invalidArgument("Adam has no slot \(slot)") }
    return i
  }

  public func reset() {
    iterations = 0
    slots.reset()
  }
}

/// SGD with momentum (Keras semantics): v = momentum v - lr g; p += v.
public final class SGD: Optimizer {
  public var learningRate: Float
  public let momentum: Float
  public var iterations = 0
  public var slotNames: [String] { ["momentum"] }
  private let slots = SlotBuffers(slots: 1)

  public init(learningRate: Float = 0.01, momentum: Float = 0) {
    self.learningRate = learningRate
    self.momentum = momentum
  }

  public func step(_ store: ParameterStore) {
    slots.ensure(store.count)
    iterations += 1
    let (lr, mu) = (learningRate, momentum)
    let p = store.values
    let g = store.gradients
    let v = slots.pointers[0]
    for i in 0..<store.count {
      v[i] = mu * v[i] - lr * g[i]
      p[i] += v[i]
    }
  }

  public func slot(_ slot: String, for parameter: Parameter) throws(ConvNetError) -> Tensor {
    guard slot == "momentum" else { throw .invalidArgument("SGD has no slot \(slot)") }
    return try slots.get(0, parameter)
  }

  public func setSlot(_ slot: String, for parameter: Parameter, to value: Tensor) throws(ConvNetError) {
    guard slot == "momentum" else { throw .invalidArgument("SGD has no slot \(slot)") }
    try slots.set(0, parameter, value)
  }

  public func reset() {
    iterations = 0
    slots.reset()
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
