import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

@Suite struct ArrayBatchSourceTests {
  @Test func epochsAreSeededPermutationsWithImagesAndLabelsTogether() throws {
    let n = 10
    let images = (0..<(n * 2 * 2 * 1)).map { UInt8($0 / 4) }  // image i is filled with i
    let labels = (0..<n).map { Float($0) }
    let src = try ArrayBatchSource(images: images, labels: labels, sampleShape: [2, 2, 1], seed: 7)
    #expect(src.order(epoch: 0) == src.order(epoch: 0))
    #expect(src.order(epoch: 0) != src.order(epoch: 1))
    #expect(src.order(epoch: 3).sorted() == Array(0..<n))
    let stream = try src.makeEpoch(1, batchSize: 4)
    var sizes: [Int] = []
    var seen: [Float] = []
    while let b = try stream.next() {
      sizes.append(b.count)
      for i in 0..<b.count { #expect(Float(b.images[i * 4]) == b.labels[i]) }
      seen += b.labels
    }
    #expect(sizes == [4, 4, 2])
    #expect(seen.map { Int($0) } == src.order(epoch: 1))
  }

  @Test func badInputIsAnError() {
    #expect(throws: ConvNetError.self) {
      try ArrayBatchSource(images: [1, 2, 3], labels: [0], sampleShape: [2, 2, 1])
    }
    #expect(throws: ConvNetError.self) {
      try ArrayBatchSource(images: [1], labels: [0], sampleShape: [1, 1, 1]).makeEpoch(0, batchSize: 0)
    }
  }
}
