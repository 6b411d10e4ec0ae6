import Testing

@testable import TensorCore

/// `next(below:)` and `shuffle` must be exactly uniform. With bound b = 3 * 2^61, 2^64 / b = 8/3,
/// so a draw without rejection gives some values 3 preimages and others 2: modulo favours the low
/// two thirds of the range (3/8, 3/8, 2/8), multiply-high without rejection favours residues 0 and 1
/// mod 3 (3/8, 3/8, 2/8). A chi-square test over each partition catches either; the test checks it
/// does on both biased draws before trusting its verdict on the real one.
@Suite struct BoundedDrawTests {
  static let bound = 3 << 61
  static let draws = 30_000
  /// Chi-square with 2 degrees of freedom: P(X > 13.8) = 0.001.
  static let critical = 13.8

  /// Chi-square of `draws` values of `draw` counted in thirds of the range and in residues mod 3.
  static func statistics(_ draw: () -> Int) -> (thirds: Double, residues: Double) {
    var thirds = [0, 0, 0]
    var residues = [0, 0, 0]
    for _ in 0..<draws {
      let v = draw()
      precondition(v >= 0 && v < bound)
      thirds[v / (bound / 3)] += 1
      residues[v % 3] += 1
    }
    let expected = Double(draws) / 3
    func chi2(_ counts: [Int]) -> Double {
      counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }
    return (chi2(thirds), chi2(residues))
  }

  @Test func boundedDrawIsUniform() {
    var g = SplitMix64(seed: 2026)
    let fair = Self.statistics { g.next(below: Self.bound) }
    #expect(fair.thirds < Self.critical && fair.residues < Self.critical, "\(fair)")
  }

  @Test func theTestCatchesBiasedDraws() {
    var g = SplitMix64(seed: 2026)
    let modulo = Self.statistics { Int(g.next() % UInt64(Self.bound)) }
    #expect(modulo.thirds > Self.critical, "modulo bias must be detected: \(modulo)")
    let multiplyHigh = Self.statistics { Int(g.next().multipliedFullWidth(by: UInt64(Self.bound)).high) }
    #expect(multiplyHigh.residues > Self.critical, "multiply-high bias must be detected: \(multiplyHigh)")
  }

  @Test func boundedDrawCoversSmallRanges() {
    var g = SplitMix64(seed: 5)
    for bound in [1, 2, 3, 7, 10] {
      var seen = Set<Int>()
      for _ in 0..<500 { seen.insert(g.next(below: bound)) }
      #expect(seen == Set(0..<bound))
    }
  }

  /// All 24 orders of four items, equally often (chi-square, 23 degrees of freedom: P(X > 49.7) = 0.001).
  @Test func shuffleGivesEveryPermutationEquallyOften() {
    var g = SplitMix64(seed: 11)
    var counts: [[Int]: Int] = [:]
    let trials = 48_000
    for _ in 0..<trials {
      var items = [0, 1, 2, 3]
      g.shuffle(&items)
      counts[items, default: 0] += 1
    }
    #expect(counts.count == 24)
    let expected = Double(trials) / 24
    let chi2 = counts.values.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    #expect(chi2 < 49.7, "chi-square \(chi2)")
  }

  @Test func keyedStreamsAreDeterministicAndDistinct() {
    var a = SplitMix64(seed: 9, 1, 2)
    var b = SplitMix64(seed: 9, 1, 2)
    var c = SplitMix64(seed: 9, 2, 1)
    let x = (0..<4).map { _ in a.next() }
    #expect(x == (0..<4).map { _ in b.next() })
    #expect(x != (0..<4).map { _ in c.next() })
  }
}
