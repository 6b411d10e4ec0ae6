import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct ShuffleScheduleTests {
  @Test func everyEpochOrderIsAPermutation() {
    for (count, chunk, pages) in [(103, 8, 3), (1, 4, 2), (0, 4, 2), (64, 8, 16), (20_000, 256, 16)] {
      let schedule = ShuffleSchedule(sampleCount: count, chunkImages: chunk, pages: pages)
      #expect(schedule.epochOrder(seed: 3, epoch: 2).sorted() == Array(0..<count))
    }
  }

  @Test func chunksAndDeterminism() {
    let schedule = ShuffleSchedule(sampleCount: 103, chunkImages: 8, pages: 3)
    #expect(schedule.chunkCount == 13)
    #expect(schedule.chunkRange(12) == 96..<103)
    #expect(schedule.capacity == 24)
    #expect(schedule.epochOrder(seed: 1, epoch: 0) == schedule.epochOrder(seed: 1, epoch: 0))
    #expect(schedule.epochOrder(seed: 1, epoch: 0) != schedule.epochOrder(seed: 1, epoch: 1))
    #expect(schedule.epochOrder(seed: 1, epoch: 0) != schedule.epochOrder(seed: 2, epoch: 0))
  }

  @Test func stoppingEarlyIsReported() {
    let schedule = ShuffleSchedule(sampleCount: 50, chunkImages: 8, pages: 2)
    var rng = schedule.generator(seed: 1, epoch: 0)
    _ = rng.permutation(schedule.chunkCount)
    var emitted = 0
    let completed = schedule.drive(
      &rng, load: { _, _ in 8 },
      emit: { _, _, _ in
        emitted += 1
        return emitted < 10
      })
    #expect(!completed)
    #expect(emitted == 10)
  }
}
