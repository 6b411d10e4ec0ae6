import TestSupport
import Testing

@testable import TensorCore

@Suite struct TensorTests {
  @Test func creationFillsShape() throws {
    #expect(Tensor.zeros([2, 3]).scalars == [Float](repeating: 0, count: 6))
    #expect(Tensor.ones([4]).sum() == 4)
    let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    #expect(t[1, 0] == 3)
    #expect(t.count == 4 && t.rank == 2)
  }

  @Test func wrongScalarCountThrows() {
    #expect(throws: TensorError.self) { try Tensor(shape: [2, 3], scalars: [1, 2]) }
  }

  @Test func copyOnWriteKeepsValueSemantics() throws {
    var a = try Tensor(shape: [3], scalars: [1, 2, 3])
    let b = a
    a[0] = 9
    #expect(b.scalars == [1, 2, 3])
    #expect(a.scalars == [9, 2, 3])
  }

  @Test func prepareReusesUnsharedStorage() {
    var a = Tensor.zeros([4, 4])
    let before = a.storage.base
    a.prepare(shape: [2, 8])
    #expect(a.storage.base == before)
    let hold = a
    a.prepare(shape: [2, 8])
    #expect(a.storage.base != hold.storage.base)
  }

  @Test func reshapeInfersOneDimension() throws {
    let t = Tensor.zeros([2, 3, 4])
    #expect(try t.reshaped([6, -1]).shape == [6, 4])
    #expect(throws: TensorError.self) { try t.reshaped([5, -1]) }
    #expect(throws: TensorError.self) { try t.reshaped([-1, -1]) }
  }
}
