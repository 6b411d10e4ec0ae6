// `mpirun -np 2 TrainNvidia` against one process, end to end on a small synthetic recording:
// equivalence after ~50 steps, identical replicas, resume of a killed 2-rank run, and a rank
// killed mid-epoch ending the job. Skipped (with the reason shown) only when mpirun is missing.
import ConvNet
import Foundation
import ModelFile
import SampleStore
import TensorCore
import TestSupport
import Testing

@Suite(
  .serialized,
  .enabled(
    if: MPIJob.mpirun != nil, "mpirun not found: apt-get install openmpi-bin libopenmpi-dev (make deps)"))
struct DataParallelTrainingTests {
  /// A folder with a recording and a prepared store: 84 rows -> about 400 training samples, so
  /// one epoch at batch 8 is about 50 steps.
  final class Workspace {
    let directory: String
    let store: String
    let data: String

    init(rows: Int = 84) throws {
      directory = try RecordingBuilder.temporaryDirectory(prefix: "bc-mpi")
      data = try RecordingBuilder(rows: rows, seed: 4).build(in: directory + "/data").directory
      store = directory + "/samples.h5"
      let prepare = try MPIJob(
        ranks: nil, arguments: ["--data", data, "--store", store, "--prepare-only", "--seed", "3"])
      let status = prepare.finish()
      guard status == 0 else {
        throw WorkspaceError(text: "preparation failed (\(String(describing: status))): \(prepare.text)")
      }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func arguments(epochs: Int, output: String, extra: [String] = []) -> [String] {
      [
        "--data", data, "--store", store, "--epochs", "\(epochs)", "--batch-size", "8", "--seed", "3",
        "--patience", "0",
        "--output", directory + "/" + output,
      ] + extra
    }
  }

  struct WorkspaceError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
  }

  static func fingerprint(_ job: MPIJob, rank: Int) -> String? {
    let prefix = rank == 0 ? "weights fingerprint: " : "rank \(rank): weights fingerprint: "
    return job.output.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
  }

  static func weights(_ path: String) throws -> [Float] {
    try KerasModelFile.load(path: path, options: KerasLoadOptions(threads: 1)).model.parameters.snapshot()
  }

  @Test func twoRanksMatchOneProcessAfterFiftySteps() throws {
    let work = try Workspace()
    let single = try MPIJob(ranks: nil, arguments: work.arguments(epochs: 1, output: "single.h5"))
    #expect(single.finish() == 0, "\(single.text)")
    let pair = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 1, output: "pair.h5"))
    #expect(pair.finish() == 0, "\(pair.text)")
    let steps = try #require(pair.value(after: "gradient allreduce:")).split(separator: " ").first.flatMap {
      Int($0)
    }
    #expect((45...60).contains(steps ?? 0), "\(pair.text)")

    let a = try Self.weights(work.directory + "/single.h5")
    let b = try Self.weights(work.directory + "/pair.h5")
    #expect(a.count == b.count && a.count > 0)
    let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    let norm = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    #expect(difference / norm < 1e-5, "relative L2 difference \(difference / norm)")
    let largest = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    print(
      "2 ranks vs 1 process: relative L2 difference \(difference / norm), largest |difference| \(largest)")
    // The runs did train: the weights moved away from their initial values.
    let initial = try Sequential.seedModel(seed: 3, threads: 1).parameters.snapshot()
    let moved = zip(a, initial).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    #expect(moved / norm > 1e-3, "training moved the weights by \(moved / norm) only")
  }

  @Test func ranksHoldIdenticalWeights() throws {
    let work = try Workspace()
    let job = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 2, output: "m.h5"))
    #expect(job.finish() == 0, "\(job.text)")
    let zero = try #require(Self.fingerprint(job, rank: 0), "\(job.text)")
    let one = try #require(Self.fingerprint(job, rank: 1), "\(job.text)")
    #expect(zero == one)
    #expect(job.text.contains("data parallel on 2 ranks"))
  }

  @Test func overlappedBucketsGiveTheWeightsOfOneSumAfterBackward() throws {
    // With 2 ranks each element is one addition, so bucketing cannot change a bit.
    let work = try Workspace()
    let overlapped = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 1, output: "o.h5"))
    #expect(overlapped.finish() == 0, "\(overlapped.text)")
    let blocking = try MPIJob(
      ranks: 2, arguments: work.arguments(epochs: 1, output: "b.h5", extra: ["--no-overlap"]))
    #expect(blocking.finish() == 0, "\(blocking.text)")
    #expect(overlapped.text.contains("overlapped with backward") && blocking.text.contains("after backward"))
    let a = try #require(Self.fingerprint(overlapped, rank: 0), "\(overlapped.text)")
    #expect(Self.fingerprint(blocking, rank: 0) == a)
  }

  @Test func resumeOfAKilledTwoRankRunEndsAsTheUninterruptedOne() throws {
    let work = try Workspace()
    let reference = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 3, output: "a.h5"))
    #expect(reference.finish() == 0, "\(reference.text)")
    let expected = try #require(Self.fingerprint(reference, rank: 0), "\(reference.text)")

    // "Epoch 2/3" is logged after epoch 1's checkpoint was written: kill rank 1 then.
    let killed = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 3, output: "b.h5"))
    #expect(killed.waitForLine(containing: "Epoch 2/3"), "\(killed.text)")
    let victim = try #require(killed.pid(ofRank: 1))
    kill(victim, SIGKILL)
    let status = killed.finish()
    #expect(status != nil && status != 0, "\(killed.text)")

    let resumed = try MPIJob(
      ranks: 2, arguments: work.arguments(epochs: 3, output: "b.h5", extra: ["--resume"]))
    #expect(resumed.finish() == 0, "\(resumed.text)")
    #expect(resumed.text.contains("resuming from"), "\(resumed.text)")
    #expect(Self.fingerprint(resumed, rank: 0) == expected, "\(resumed.text)")
    #expect(Self.fingerprint(resumed, rank: 1) == expected, "\(resumed.text)")
  }

  @Test func aRankKilledMidEpochEndsTheJobNamingIt() throws {
    let work = try Workspace()
    let job = try MPIJob(ranks: 2, arguments: work.arguments(epochs: 50, output: "k.h5"))
    #expect(job.waitForLine(containing: "Epoch 1/50"), "\(job.text)")
    let victim = try #require(job.pid(ofRank: 1))
    let survivor = try #require(job.pid(ofRank: 0))
    kill(victim, SIGKILL)
    // A hang would run 50 epochs or wait forever; the safety net is far longer than a clean end.
    let status = job.finish(timeout: 120)
    #expect(status != nil && status != 0, "\(job.text)")
    #expect(job.text.contains("rank 1"), "\(job.text)")
    #expect(!MPIJob.isAlive(survivor), "rank 0 outlived the job")
    print("aRankKilledMidEpoch output:\n\(job.text)")
  }

  @Test func aHungRankEndsTheJobAfterTheTimeout() throws {
    let work = try Workspace()
    let job = try MPIJob(
      ranks: 2, arguments: work.arguments(epochs: 50, output: "h.h5", extra: ["--mpi-timeout", "5"]))
    #expect(job.waitForLine(containing: "Epoch 1/50"), "\(job.text)")
    let victim = try #require(job.pid(ofRank: 1))
    kill(victim, SIGSTOP)  // alive but silent: only the timeout can notice
    defer { kill(victim, SIGKILL) }
    let status = job.finish(timeout: 120)
    #expect(status != nil && status != 0, "\(job.text)")
    #expect(job.text.contains("rank 0 of 2:") && job.text.contains("within 5 s"), "\(job.text)")
  }

  @Test func shardedPreparationHoldsTheSamplesOfOneProcess() throws {
    let work = try Workspace()
    let sharded = work.directory + "/sharded.h5"
    let job = try MPIJob(
      ranks: 2, arguments: ["--data", work.data, "--store", sharded, "--prepare-only", "--seed", "3"])
    #expect(job.finish() == 0, "\(job.text)")
    #expect(job.text.contains("joined 2 shards"), "\(job.text)")
    for rank in 0..<2 {
      #expect(FileManager.default.fileExists(atPath: SampleStoreShards.path(of: sharded, rank: rank, of: 2)))
    }
    let a = try SampleStore(path: work.store)
    let b = try SampleStore(path: sharded)
    try b.verify()
    for split in a.splits {
      let n = try a.count(of: split)
      #expect(try b.count(of: split) == n)
      let left = try Self.sampleKeys(a.batch(of: split, range: 0..<n))
      let right = try Self.sampleKeys(b.batch(of: split, range: 0..<n))
      #expect(left.sorted() == right.sorted(), "split \(split): other samples")
      // Shards hold contiguous shares of the plan, so even the order is the single process's.
      #expect(left == right, "split \(split): same samples, other order")
    }
  }

  /// (provenance, image hash, steering bits) of every sample, in store order.
  static func sampleKeys(_ batch: SampleBatch) -> [String] {
    let per = batch.height * batch.width * batch.channels
    return (0..<batch.count).map { i in
      var hash: UInt64 = 0xcbf2_9ce4_8422_2325
      for byte in batch.images[(i * per)..<((i + 1) * per)] {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
      }
      let p = batch.provenance[i]
      return
        "\(p.recording)/\(p.row)/\(p.view)/\(p.flipped) \(String(hash, radix: 16)) \(batch.labels[i].bitPattern)"
    }
  }
}
