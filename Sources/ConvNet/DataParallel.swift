// Data-parallel training: N ranks hold the same model, each takes its share of every global batch,
// and their gradients are summed before each optimizer step. ConvNet only states what it needs from
// the ranks (`DataParallelGroup`); the MPI implementation lives in the Cluster module, so ConvNet
// neither links nor requires MPI.
import TensorCore

/// The ranks that train one model together. Every call is collective: all ranks make it, in the
/// same order, with the same sizes.
public protocol DataParallelGroup: AnyObject {
  /// This process's index, 0..<size.
  var rank: Int { get }
  var size: Int { get }
  /// Sums `count` floats at `buffer` over all ranks, in place; every rank gets the sum.
  func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
  /// Elementwise sums of `values` over all ranks.
  func sum(_ values: [Double]) throws -> [Double]
  /// Every rank's `value`, indexed by rank.
  func gather(_ value: UInt64) throws -> [UInt64]
  /// Starts summing `count` floats at `buffer` in place without waiting; the buffer is not to be
  /// touched until `finishSums`. Sums start in the same order on every rank.
  func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
  /// Lets started sums advance (MPI moves non-blocking collectives only inside MPI calls).
  func progressSums() throws
  /// Waits for every started sum.
  func finishSums() throws
}

extension DataParallelGroup {
  /// Without non-blocking sums: sum at once.
  public func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
    try sumInPlace(buffer, count: count)
  }
  public func progressSums() throws {}
  public func finishSums() throws {}

  /// This rank's contiguous share of `count` samples (earlier ranks take the remainder).
  public func share(of count: Int) -> Range<Int> { sliceRange(count: count, parts: size, index: rank) }

  /// Throws unless every rank holds bit-identical weights; names the ranks that differ.
  public func checkReplicas(_ store: ParameterStore, after what: String) throws {
    let hashes = try gather(weightsHash(store))
    guard let first = hashes.first, hashes.contains(where: { $0 != first }) else { return }
    let listed = hashes.enumerated().map { "rank \($0.offset) \(String($0.element, radix: 16))" }
    throw ConvNetError.replicasDiverged(
      "weights differ \(what): " + listed.joined(separator: ", ")
        + "; ranks \(hashes.indices.filter { hashes[$0] != first }.map(String.init).joined(separator: ", ")) differ from rank 0"
    )
  }
}

/// FNV-1a over the bit patterns of every value: equal hashes mean identical weights (in practice).
public func weightsHash(_ store: ParameterStore) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for i in 0..<store.count {
    var bits = store.values[i].bitPattern
    for _ in 0..<4 {
      hash = (hash ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
      bits >>= 8
    }
  }
  return hash
}

extension SampleBatch {
  /// Samples `range` of this batch, as a batch of their own.
  package func samples(_ range: Range<Int>) -> SampleBatch {
    if range == 0..<count { return self }
    let per = height * width * channels
    return SampleBatch(
      images: Array(images[(range.lowerBound * per)..<(range.upperBound * per)]),
      labels: Array(labels[range]),
      provenance: provenance.isEmpty ? [] : Array(provenance[range]), height: height, width: width,
      channels: channels)
  }
}
