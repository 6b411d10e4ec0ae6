// An in-memory BatchSource: uint8 NHWC images and labels held in arrays, shuffled per epoch by a
// seeded generator (the order is a function of (seed, epoch) only).
import TensorCore

public final class ArrayBatchSource: BatchSource, @unchecked Sendable {
  public let images: [UInt8]
  public let labels: [Float]
  public let sampleShape: [Int]
  public let seed: UInt64
  public let shuffles: Bool
  public var sampleCount: Int { labels.count }

  /// `images`: (labels.count, H, W, C) row-major with `sampleShape` = (H, W, C).
  public init(images: [UInt8], labels: [Float], sampleShape: [Int], seed: UInt64 = 0, shuffles: Bool = true)
    throws(ConvNetError)
  {
    guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }),
      images.count == labels.count * sampleShape.reduce(1, *)
    else {
      throw .shapeMismatch("\(images.count) bytes are not \(labels.count) images of \(sampleShape)")
    }
    self.images = images
    self.labels = labels
    self.sampleShape = sampleShape
    self.seed = seed
    self.shuffles = shuffles
  }

  /// The sample order of `epoch` (Fisher-Yates driven by SplitMix64).
  public func order(epoch: Int) -> [Int] {
    var order = Array(0..<sampleCount)
    guard shuffles else { return order }
    var g = SplitMix64(seed: seed).derived(UInt64(epoch))
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      let j = Int(g.next() % UInt64(i + 1))
      order.swapAt(i, j)
    }
    return order
  }

  public func makeEpoch(_ epoch: Int, batchSize: Int) throws -> any BatchStream {
    guard batchSize > 0 else { throw ConvNetError.invalidArgument("batch size \(batchSize)") }
    return Stream(source: self, order: order(epoch: epoch), batchSize: batchSize)
  }

  final class Stream: BatchStream {
    let source: ArrayBatchSource
    let order: [Int]
    let batchSize: Int
    var position = 0

    init(source: ArrayBatchSource, order: [Int], batchSize: Int) {
      self.source = source
      self.order = order
      self.batchSize = batchSize
    }

    func next() throws -> SampleBatch? {
      guard position < order.count else { return nil }
      let picked = order[position..<min(position + batchSize, order.count)]
      position += picked.count
      let per = source.sampleShape.reduce(1, *)
      var images = [UInt8]()
      images.reserveCapacity(picked.count * per)
      for i in picked { images.append(contentsOf: source.images[(i * per)..<((i + 1) * per)]) }
      let s = source.sampleShape
      return SampleBatch(
        images: images, labels: picked.map { source.labels[$0] }, provenance: [], height: s[0], width: s[1],
        channels: s[2])
    }

    func cancel() { position = order.count }
  }
}
