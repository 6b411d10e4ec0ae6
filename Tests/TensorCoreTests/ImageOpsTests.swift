import TestSupport
import Testing

@testable import TensorCore

@Suite struct ImageOpsTests {
  @Test func cropKeepsTheWindow() throws {
    let t = seededTensor([2, 6, 5, 3], seed: 1)
    let c = try t.cropped(top: 2, bottom: 1, left: 1, right: 2)
    #expect(c.shape == [2, 3, 2, 3])
    for n in 0..<2 {
      for y in 0..<3 {
        for x in 0..<2 {
          for ch in 0..<3 {
            #expect(c[n, y, x, ch] == t[n, y + 2, x + 1, ch])
          }
        }
      }
    }
    #expect(throws: TensorError.self) { try t.cropped(top: 3, bottom: 3, left: 0, right: 0) }
    #expect(throws: TensorError.self) { try t.cropped(top: -1, bottom: 0, left: 0, right: 0) }
  }

  @Test func flipMirrorsAndIsAnInvolution() throws {
    let t = seededTensor([2, 3, 4, 2], seed: 2)
    let f = try t.flippedHorizontally()
    #expect(f[1, 2, 0, 1] == t[1, 2, 3, 1])
    #expect(try f.flippedHorizontally() == t)
  }

  @Test func uint8ConversionAppliesScaleAndOffset() throws {
    let t = try Tensor(uint8: [0, 127, 255, 51], shape: [1, 2, 2, 1], scale: 1 / 127.5, offset: -1)
    #expect(isClose(t, try Tensor(shape: [1, 2, 2, 1], scalars: [-1, 127 / 127.5 - 1, 1, 51 / 127.5 - 1])))
    #expect(throws: TensorError.self) { try Tensor(uint8: [1, 2], shape: [3]) }
  }
}
