import TestSupport
import Testing

@testable import TensorCore

@Suite struct ReductionsTests {
  @Test func sumsOverAxesMatchLoops() throws {
    let t = seededTensor([2, 3, 4], seed: 9)
    let s = t.scalars
    let over1 = try t.sum(alongAxes: [1])
    #expect(over1.shape == [2, 4])
    for i in 0..<2 {
      for k in 0..<4 {
        let want = (0..<3).map { s[(i * 3 + $0) * 4 + k] }.reduce(0, +)
        #expect(abs(over1[i, k] - want) < 1e-5)
      }
    }
    #expect(try t.sum(alongAxes: [0, 2], keepingDimensions: true).shape == [1, 3, 1])
    let lastRow: [Float] = (0..<4).map { s[(1 * 3 + 2) * 4 + $0] }
    let mean = try t.mean(alongAxes: [-1])
    #expect(abs(mean[1, 2] - lastRow.reduce(0, +) / 4) < 1e-5)
    #expect(abs(t.sum() - s.reduce(0, +)) < 1e-4)
    #expect(throws: TensorError.self) { try t.sum(alongAxes: [3]) }
  }
}
