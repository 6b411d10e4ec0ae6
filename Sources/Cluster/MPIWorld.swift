// The MPI job this process belongs to (MPI_COMM_WORLD), or a world of one when it was not started
// by mpirun: then no MPI call is ever made, so a laptop run behaves exactly as before.
import CMPI
import ConvNet
import Foundation

/// MPI_COMM_WORLD as a `DataParallelGroup`. Only the thread that created it may call it
/// (MPI_THREAD_FUNNELED). Every collective waits with a deadline, so a dead or hung peer becomes
/// `ClusterError.timeout` instead of a hang.
public final class MPIWorld: DataParallelGroup, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  /// Ranks on this host (for the thread count); 1 without MPI.
  public let localSize: Int
  /// False for a world of one that never initialised MPI.
  public let usesMPI: Bool
  /// Longest wait for one collective, in seconds (nil: forever).
  public var timeout: Double? = 600
  /// Gradient exchanges finished (`finishSums` calls) and the time this rank spent waiting in them
  /// after its backward: the communication that was not hidden (plus waiting for slower ranks).
  public private(set) var exchanges = 0
  public private(set) var exposedSeconds = 0.0
  private var pending: [MPI_Request?] = []

  private static let lock = NSLock()
  nonisolated(unsafe) private static var current: MPIWorld?

  private init(rank: Int, size: Int, localSize: Int, usesMPI: Bool) {
    self.rank = rank
    self.size = size
    self.localSize = localSize
    self.usesMPI = usesMPI
  }

  /// Whether the launcher (mpirun / Open MPI's PMIx) started this process as one rank of a job.
  public static var launchedByMPI: Bool {
    let env = ProcessInfo.processInfo.environment
    return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
  }

  /// The world of this process, initialising MPI on first use when launched by mpirun (MPI may be
  /// initialised only once per process, so later calls return the same world).
  public static func start() throws(ClusterError) -> MPIWorld {
    lock.lock()
    defer { lock.unlock() }
    if let current { return current }
    guard launchedByMPI else {
      let world = MPIWorld(rank: 0, size: 1, localSize: 1, usesMPI: false)
      current = world
      return world
    }
    var initialized: Int32 = 0
    MPI_Initialized(&initialized)
    if initialized == 0 {
      var provided: Int32 = 0
      try check(MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided), "MPI_Init_thread")
    }
    // Errors come back as codes (thrown), not as MPI's default abort without a word of context.
    try check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
    var rank: Int32 = 0
    var size: Int32 = 0
    try check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
    try check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
    let local = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? Int(size)
    let world = MPIWorld(rank: Int(rank), size: Int(size), localSize: max(local, 1), usesMPI: true)
    current = world
    return world
  }

  /// Cores this rank should use: its share of the host's cores.
  public var coresPerRank: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / localSize) }

  public func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
    guard usesMPI, size > 1 else { return }
    var request = try startAllreduce(buffer, count: count)
    try wait(&request, "allreduce of \(count) floats", limit: timeout)
  }

  public func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
    guard usesMPI, size > 1 else { return }
    pending.append(try startAllreduce(buffer, count: count))
  }

  /// An in-place, non-blocking float sum over every rank; the caller waits on the request.
  private func startAllreduce(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> MPI_Request? {
    var request: MPI_Request? = nil
    try Self.check(
      MPI_Iallreduce(
        cmpi_in_place(), buffer, Int32(count), cmpi_float(), cmpi_sum(), cmpi_comm_world(), &request),
      "MPI_Iallreduce")
    return request
  }

  public func progressSums() throws {
    guard !pending.isEmpty else { return }
    var done: Int32 = 0
    try Self.check(MPI_Testall(Int32(pending.count), &pending, &done, nil), "MPI_Testall (gradient buckets)")
  }

  public func finishSums() throws {
    guard usesMPI, size > 1 else { return }
    let begin = DispatchTime.now()
    for index in pending.indices {
      try wait(&pending[index], "allreduce of a gradient bucket", limit: timeout)
    }
    pending.removeAll(keepingCapacity: true)
    exposedSeconds += Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
    exchanges += 1
  }

  public func sum(_ values: [Double]) throws -> [Double] {
    guard usesMPI, size > 1, !values.isEmpty else { return values }
    var result = values
    var request: MPI_Request? = nil
    try result.withUnsafeMutableBufferPointer { b in
      try Self.check(
        MPI_Iallreduce(
          cmpi_in_place(), b.baseAddress, Int32(b.count), cmpi_double(), cmpi_sum(), cmpi_comm_world(),
          &request),
        "MPI_Iallreduce")
      try wait(&request, "allreduce of \(b.count) doubles", limit: timeout)
    }
    return result
  }

  public func gather(_ value: UInt64) throws -> [UInt64] {
    guard usesMPI, size > 1 else { return [value] }
    var mine = value
    var all = [UInt64](repeating: 0, count: size)
    var request: MPI_Request? = nil
    try all.withUnsafeMutableBufferPointer { b in
      try Self.check(
        MPI_Iallgather(&mine, 1, cmpi_uint64(), b.baseAddress, 1, cmpi_uint64(), cmpi_comm_world(), &request),
        "MPI_Iallgather")
      try wait(&request, "allgather", limit: timeout)
    }
    return all
  }

  /// Waits until every rank arrives (sleeping, not spinning: a rank waiting here for another's
  /// long preparation leaves it the cores). `timeout` nil waits forever.
  public func barrier(timeout: Double?) throws {
    guard usesMPI, size > 1 else { return }
    var request: MPI_Request? = nil
    try Self.check(MPI_Ibarrier(cmpi_comm_world(), &request), "MPI_Ibarrier")
    try wait(&request, "barrier", limit: timeout)
  }

  /// Ends the whole job: prints `message` naming this rank, then MPI_Abort (mpirun kills every
  /// other rank). Without MPI it only exits.
  public func abort(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
    if usesMPI { MPI_Abort(cmpi_comm_world(), code) }
    exit(code)
  }

  /// MPI_Finalize (collective: every rank calls it once, at the end).
  public func finalize() {
    guard usesMPI else { return }
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized == 0 { MPI_Finalize() }
  }

  /// Polls `request` until it completes: spins for the first 2 ms (a step's allreduce usually ends
  /// by then), then sleeps 200 us between polls; throws after the deadline.
  private func wait(_ request: inout MPI_Request?, _ what: String, limit: Double?) throws {
    let begin = DispatchTime.now().uptimeNanoseconds
    var done: Int32 = 0
    while true {
      try Self.check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test (\(what))")
      if done != 0 { return }
      let waited = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
      if let limit, waited > limit { throw ClusterError.timeout(call: what, seconds: limit) }
      if waited > 0.002 { usleep(200) } else { sched_yield() }
    }
  }

  private static func check(_ code: Int32, _ call: String) throws(ClusterError) {
    guard code != cmpi_success() else { return }
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    let reason = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw ClusterError.mpi(call: call, code: code, reason: reason)
  }
}
