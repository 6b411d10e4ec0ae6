import ConvNet
import Dispatch
import DrivingData
import ModelFile
import NIOConcurrencyHelpers

/// Hands each frame to a free predictor of a pool (DrivingData's `SteeringPredictor`s, one per core
/// by default), so cars on different event loops predict at once; a frame waits only when every
/// predictor is busy. Each predictor keeps its own scratch and is used by one thread at a time.
///
/// A ConvNet model may split one frame's forward across cores (`Sequential.singleImageThreads`).
/// That helps only while the other cores are idle: the gate lets a model split when its frame is
/// the only one in flight and runs it on one thread otherwise, where the pool uses the cores.
package final class PredictorGate: @unchecked Sendable {
  /// One predictor, kept as what it is so calls do not copy it (a copy would reallocate its scratch
  /// buffers on the next frame). Touched only by the caller that took it from `idle`.
  private final class Slot {
    var predictor: any SteeringPredictor
    var saliencyPredictor: (any SaliencyPredictor)?
    /// The ConvNet model behind the predictor, and the split it was configured with.
    let model: Sequential?
    let splitThreads: Int

    init(_ predictor: any SteeringPredictor, saliency: (any SaliencyPredictor)?) {
      self.predictor = predictor
      saliencyPredictor = saliency
      model = (predictor as? SequentialPredictor)?.model
      splitThreads = model?.singleImageThreads ?? 1
    }
  }

  private let slots: [Slot]
  /// Copies of the predictors, only asked `frameRows` (a slot's own may be mid-frame on another
  /// thread).
  private let rowsProbes: [any SteeringPredictor]
  private let lock = NIOLock()
  /// Indices of free slots (guarded by `lock`).
  private var idle: [Int]
  /// Frames between `beginFrame` and `endFrame` (guarded by `lock`).
  private var inFlight = 0
  /// Counts free slots: callers wait here when all are busy.
  private let free: DispatchSemaphore

  package init(_ predictors: sending [any SteeringPredictor]) {
    slots = predictors.map { Slot($0, saliency: nil) }
    rowsProbes = slots.map(\.predictor)
    idle = Array(slots.indices.reversed())
    free = DispatchSemaphore(value: slots.count)
  }

  package init(saliency predictors: sending [any SaliencyPredictor]) {
    slots = predictors.map { Slot($0, saliency: $0) }
    rowsProbes = slots.map(\.predictor)
    idle = Array(slots.indices.reversed())
    free = DispatchSemaphore(value: slots.count)
  }

  package var offersSaliency: Bool { slots.first?.saliencyPredictor != nil }

  /// The rows of a `width` x `height` frame any of the predictors reads (nil: all), so a frame's
  /// decode can skip the rest.
  package func frameRows(width: Int, height: Int) -> Range<Int>? {
    var band: Range<Int>?
    for probe in rowsProbes {
      guard let rows = probe.frameRows(width: width, height: height) else { return nil }
      band = band.map { min($0.lowerBound, rows.lowerBound)..<max($0.upperBound, rows.upperBound) } ?? rows
    }
    return band
  }

  /// Predictors in the pool.
  package var count: Int { slots.count }

  /// Each predictor's `Sequential.singleImageThreads` as its last frame left it (nil: not a ConvNet
  /// model). For tests; read it while no frame is in flight.
  package var splitThreadsInUse: [Int?] { slots.map { $0.model?.singleImageThreads } }

  /// A frame arrived (its decode comes first): while it is the only frame in flight, its forward
  /// may split across cores.
  package func beginFrame() { lock.withLock { inFlight += 1 } }

  package func endFrame() { lock.withLock { inFlight -= 1 } }

  package func steering(for image: RGBImage) throws -> Float {
    try withSlot { slot in
      if slot.saliencyPredictor != nil { return try slot.saliencyPredictor!.steering(for: image) }
      return try slot.predictor.steering(for: image)
    }
  }

  /// Steering and saliency from one forward; nil saliency when the gate has no saliency predictors.
  package func steeringAndSaliency(for image: RGBImage) throws -> (steering: Float, saliency: SaliencyFrame?)
  {
    try withSlot { slot in
      guard slot.saliencyPredictor != nil else { return (try slot.predictor.steering(for: image), nil) }
      let (steering, saliency) = try slot.saliencyPredictor!.steeringAndSaliency(for: image)
      return (steering, saliency)
    }
  }

  /// Runs `body` on a free slot, waiting for one if all are busy. The slot's model splits the
  /// forward only when this frame is the only one in flight.
  private func withSlot<R>(_ body: (Slot) throws -> R) throws -> R {
    guard !slots.isEmpty else { throw DriveError.predictionFailed("no predictor") }
    free.wait()
    let (index, alone) = lock.withLock { (idle.removeLast(), inFlight <= 1) }
    defer {
      lock.withLock { idle.append(index) }
      free.signal()
    }
    let slot = slots[index]
    if let model = slot.model, slot.splitThreads > 1 {
      let threads = alone ? slot.splitThreads : 1
      if model.singleImageThreads != threads { model.singleImageThreads = threads }
    }
    guard alone, let model = slot.model, slot.splitThreads > 1 else { return try body(slot) }
    // The reply's write comes next and wakes the client: with the helper spinning on the other
    // core that write took 91 us instead of 30, and parking took 0.06 ms off the server's median
    // (Bench drive, 2-core VM, 3 alternating rounds).
    defer { model.parkSplitHelpers(threads: slot.splitThreads) }
    return try body(slot)
  }
}
