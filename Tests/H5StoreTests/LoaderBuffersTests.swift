import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct LoaderBuffersTests {
  @Test func anArrayComesBackOnlyBehindDepthNewerOnes() {
    let pool = BatchArrayPool(depth: 3)
    #expect(pool.take(bytes: 2) == nil)  // nothing kept yet: the caller allocates
    #expect(pool.take(bytes: 2) == nil)
    pool.keep([1, 1])
    pool.keep([2, 2])
    #expect(pool.take(bytes: 2) == nil, "2 arrays exist: the older may still be in use")
    pool.keep([3, 3])
    #expect(pool.take(bytes: 2) == [1, 1])
    #expect(pool.take(bytes: 2) == [2, 2], "the array being filled counts as a newer one")
    pool.keep([4, 4])
    pool.keep([5, 5])
    #expect(pool.bytes == 6)
    pool.keep([6, 6])  // one more than was taken: the oldest goes, `depth` arrays at most
    #expect(pool.bytes == 6)
    #expect(pool.take(bytes: 2) == [4, 4])
    pool.removeAll()
    #expect(pool.bytes == 0)
    #expect(pool.take(bytes: 2) == nil)
  }

  @Test func anArrayOfAnotherSizeIsDroppedNotReturned() {
    let pool = BatchArrayPool(depth: 1)
    pool.keep([1, 2, 3])
    #expect(pool.take(bytes: 2) == nil)
    #expect(pool.bytes == 0)
  }

  @Test func theChunkPoolHoldsAtMostItsLimitAndResetsBookkeeping() {
    let pool = ChunkPool(limit: 2)
    let chunks = (0..<3).map { _ in ChunkData(capacity: 4, imageBytes: 6) }
    chunks[0].isPage = true
    chunks[0].pendingCopies = 5
    pool.giveBack(chunks)
    #expect(pool.count == 2)
    let first = pool.take()
    #expect(first != nil && first !== chunks[2])
    #expect(first?.isPage == false && first?.pendingCopies == 0)
    #expect(first?.images.count == 24)
    pool.removeAll()
    #expect(pool.take() == nil)
  }
}
