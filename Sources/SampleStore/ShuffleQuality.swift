/// How close an epoch order comes to a uniformly random permutation of `0..<N`.
///
/// Training wants consecutive samples to be unrelated. A chunked reader cannot deliver a full
/// permutation (that means one random read per image); these numbers say how much is lost:
/// - `meanStep`: mean |order[i+1] - order[i]| / N. A uniform permutation gives (N + 1) / (3N) ~ 1/3;
///   reading chunks in storage order gives ~0.
/// - `stepKS`: Kolmogorov-Smirnov distance between the distribution of those steps / N and the one a
///   uniform permutation has (|U - V| for independent uniforms: F(x) = 2x - x^2). 0 is perfect.
/// - `sameChunkFraction`: consecutive pairs that come from one storage chunk. Uniform: ~chunk / N.
///   With a shuffle buffer of K chunks, about 1/K: the price of bounded memory.
/// - `rankCorrelation`: Spearman correlation between delivery position and original index
///   (a permutation that keeps the storage order shows up here even when steps look random). ~0 is good.
public struct ShuffleQuality: Sendable, Equatable {
  public var meanStep: Double
  public var stepKS: Double
  public var sameChunkFraction: Double
  public var rankCorrelation: Double

  public init(order: [Int], chunkImages: Int) {
    let n = order.count
    precondition(n >= 2, "need at least two samples")
    var steps = [Double]()
    steps.reserveCapacity(n - 1)
    var sameChunk = 0
    for i in 0..<(n - 1) {
      steps.append(Double(abs(order[i + 1] - order[i])) / Double(n))
      if order[i + 1] / chunkImages == order[i] / chunkImages { sameChunk += 1 }
    }
    meanStep = steps.reduce(0, +) / Double(steps.count)
    steps.sort()
    var ks = 0.0
    for (index, x) in steps.enumerated() {
      let uniform = 2 * x - x * x
      ks = max(
        ks, abs(Double(index + 1) / Double(steps.count) - uniform),
        abs(Double(index) / Double(steps.count) - uniform))
    }
    stepKS = ks
    sameChunkFraction = Double(sameChunk) / Double(n - 1)
    // Spearman with ranks = values (a permutation of 0..<n): 1 - 6 sum d^2 / (n (n^2 - 1)).
    var squares = 0.0
    for (position, value) in order.enumerated() {
      let d = Double(position - value)
      squares += d * d
    }
    let nd = Double(n)
    rankCorrelation = 1 - 6 * squares / (nd * (nd * nd - 1))
  }

  public var summary: String {
    "mean step \(rounded(meanStep)) of N (uniform 0.333), step KS \(rounded(stepKS)), "
      + "same-chunk neighbours \(rounded(sameChunkFraction * 100))%, rank correlation \(rounded(rankCorrelation))"
  }

  private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
