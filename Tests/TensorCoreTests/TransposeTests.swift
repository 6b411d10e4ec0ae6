import TestSupport
import Testing

@testable import TensorCore

@Suite struct TransposeTests {
  @Test func permutationMovesEveryScalar() throws {
    let t = seededTensor([2, 3, 4], seed: 4)
    let p = try t.transposed([2, 0, 1])
    #expect(p.shape == [4, 2, 3])
    for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[k, i, j] == t[i, j, k]) } } }
    #expect(try p.transposed([1, 2, 0]) == t)
    #expect(throws: TensorError.self) { try t.transposed([0, 0, 1]) }
    #expect(try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).transposed().scalars == [1, 3, 2, 4])
  }
}
