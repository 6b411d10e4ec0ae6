import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct ShuffleQualityTests {
  // The benchmark's store: 20,000 images in chunks of 256 (79 chunks).
  let n = 20_000
  let chunk = 256

  func quality(bufferChunks: Int, epoch: Int = 0, count: Int? = nil) -> ShuffleQuality {
    let schedule = ShuffleSchedule(sampleCount: count ?? n, chunkImages: chunk, pages: bufferChunks)
    return ShuffleQuality(order: schedule.epochOrder(seed: 1, epoch: epoch), chunkImages: chunk)
  }

  @Test func metricsSeparateAFullShuffleFromStorageOrder() {
    var rng = SplitMix64(seed: 7)
    let uniform = ShuffleQuality(order: rng.permutation(n), chunkImages: chunk)
    print("true permutation:", uniform.summary)
    #expect(abs(uniform.meanStep - 1.0 / 3) < 0.01)
    #expect(uniform.stepKS < 0.02)
    #expect(uniform.sameChunkFraction < 0.03)
    #expect(abs(uniform.rankCorrelation) < 0.03)

    let sequential = ShuffleQuality(order: Array(0..<n), chunkImages: chunk)
    #expect(sequential.meanStep < 0.001)
    #expect(sequential.stepKS > 0.9)
    #expect(sequential.rankCorrelation > 0.999)
  }

  @Test func chunkPermutationPlusASixteenPageBufferComesCloseToAFullShuffle() {
    let loader = quality(bufferChunks: 16)  // the loader's default
    print("chunk order + 16 pages:", loader.summary)
    #expect(abs(loader.meanStep - 1.0 / 3) < 0.03)
    #expect(loader.stepKS < 0.08)
    // ~1/16 plus the warm-up (pages fill progressively at the start of an epoch); uniform: 1.3%.
    #expect(loader.sameChunkFraction < 0.09)
    // Rank correlation is set by the permutation of only 79 chunks (sd ~ 1/sqrt(78) = 0.11).
    #expect(abs(loader.rankCorrelation) < 0.35)

    // The seed shuffled inside one chunk only: nearly every neighbour shares its chunk.
    let oneChunk = quality(bufferChunks: 1)
    print("chunk order + 1 page (the seed's scheme):", oneChunk.summary)
    #expect(oneChunk.sameChunkFraction > 0.9)
    #expect(oneChunk.stepKS > 0.9)

    // More pages, better mixing: same-chunk neighbours fall like 1 / pages.
    let eight = quality(bufferChunks: 8)
    let wide = quality(bufferChunks: 32)
    print("chunk order + 8 pages:", eight.summary)
    print("chunk order + 32 pages:", wide.summary)
    #expect(eight.sameChunkFraction > loader.sameChunkFraction)
    #expect(wide.sameChunkFraction < loader.sameChunkFraction)
    #expect(abs(eight.sameChunkFraction - 1.0 / 8) < 0.03)
    #expect(wide.stepKS < loader.stepKS)

    // On a long epoch the warm-up no longer counts: close to 1 / pages.
    let long = quality(bufferChunks: 16, count: 200_000)
    print("200,000 samples, 16 pages:", long.summary)
    #expect(long.sameChunkFraction < 0.07)
    #expect(long.stepKS < 0.08)  // the same-chunk pairs are the near-zero steps: KS ~ their fraction
  }
}
