import TensorCore
import Testing

@Suite struct SplitMix64BoundedTests {
  @Test func matchesTheReferenceSequence() {
    // Reference: Vigna's splitmix64.c with x = 0.
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  @Test func boundedDrawsAndPermutations() {
    var rng = SplitMix64(seed: 42)
    var counts = [Int](repeating: 0, count: 5)
    for _ in 0..<50_000 { counts[rng.next(below: 5)] += 1 }
    #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })  // ~4 standard deviations
    let permutation = rng.permutation(100)
    #expect(permutation.sorted() == Array(0..<100))
    #expect(permutation != Array(0..<100))
    var a = SplitMix64(seed: 7)
    var b = SplitMix64(seed: 7)
    #expect(a.permutation(50) == b.permutation(50))
  }
}
