import ConvNet
import Drive
import DriveClients
import DrivingData
import Foundation
import Logging
import ModelFile
import NIOConcurrencyHelpers
import NIOCore
import TensorCore

/// `Bench drive --clients N [--rate HZ] [--hostile]`: N simulator-like clients at once (handshake,
/// 1016-byte fragments, string values, one telemetry in flight), each timing its round trips, either
/// closed loop (the next frame on each reply: throughput) or paced at HZ (latency at the
/// simulator's rate, with frames sent late counted); with `--hostile`, every kind of abusive client
/// at the same time. Reports latency per client and
/// overall, replies / telemetry, what happened to each hostile client, and the process's
/// descriptors and memory before, during and after. Server and clients share the process; the
/// clients hold little memory (the huge messages are generated piece by piece).
struct DriveLoadBench {
  var clients: Int
  var frames: Int
  var modelThreads: Int
  var hostile: Bool
  /// Runs against the same server; earlier rounds print one line (RSS after each shows a leak).
  var rounds = 1
  /// Untimed frames per client, first.
  var warmup = 10
  /// Handshake, ping and write-stall timeouts in seconds (nil: the server's defaults, and 5 s pings
  /// with --hostile). Short ones make a round quick: half-open clients wait for them.
  var timeouts: Double?
  /// Frames per second per client (paced, open loop); nil: closed loop (saturation).
  var rate: Double?
  /// Predictors in the server's pool.
  var predictors = 1
  /// `Sequential.singleImageThreads` of each model (the pool splits only a frame that is alone).
  var splitThreads = 1

  /// The process's resources at one moment.
  struct Sample {
    var descriptors = 0
    var serverSockets = 0
    var resident = 0
    /// malloc's live bytes and arenas; only taken when idle (`malloc_info` locks every arena).
    var heap: ProcessMemory.Heap? = nil
    var threads = 0

    static func take(port: Int, heap: Bool = false) -> Sample {
      let status = ProcessCensus.status()
      return Sample(
        descriptors: ProcessCensus.descriptors(), serverSockets: ProcessCensus.sockets(localPort: port),
        resident: status.resident, heap: heap ? ProcessMemory.heap() : nil, threads: status.threads)
    }

    /// `heap X MB in use, N arenas`, or `heap unknown` off glibc.
    var heapText: String {
      guard let heap else { return "heap unknown" }
      return String(format: "heap %.2f MB in use, %d arenas", Double(heap.inUse) / 1_048_576, heap.arenas)
    }

    static func max(_ a: Sample, _ b: Sample) -> Sample {
      Sample(
        descriptors: Swift.max(a.descriptors, b.descriptors),
        serverSockets: Swift.max(a.serverSockets, b.serverSockets),
        resident: Swift.max(a.resident, b.resident))
    }
  }

  func run(message: String) async throws {
    var pool: [any SteeringPredictor] = []
    for _ in 0..<predictors {
      let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: modelThreads)
      model.singleImageThreads = splitThreads
      pool.append(try SequentialPredictor(model: model, pipeline: .seed))
    }
    var logger = Logger(label: "bench.drive")
    logger.logLevel = .error
    var configuration = DriveServer.Configuration(port: 0)
    if hostile {
      // Short pings so silent upgraded sockets are dropped within the run (the good clients pong).
      configuration.pingInterval = .seconds(5)
      configuration.pingTimeout = .seconds(5)
    }
    if let timeouts {
      let t = TimeAmount.milliseconds(Int64(timeouts * 1000))
      configuration.handshakeTimeout = t
      configuration.pingInterval = t
      configuration.pingTimeout = t
      configuration.writeStallTimeout = t
    }
    let server = try await DriveServer(
      configuration: configuration, autopilot: Autopilot(predictors: pool), logger: logger)
    let port = server.localPort
    print(
      "\(clients) clients x \(frames) frames (+\(warmup) untimed each), \(configuration.threads) server threads, "
        + "\(predictors) predictor(s) of \(modelThreads) model thread(s), split across \(splitThreads) when alone, "
        + (rate.map { "paced at \($0) Hz per client" }
          ?? "closed loop (each frame sent on the previous reply)")
        + (hostile ? ", hostile clients too" : ""))
    print(
      "limits: handshake \(ms(configuration.handshakeTimeout)) ms, header \(configuration.maxHeaderSize) B, "
        + "message \(configuration.maxMessageSize) B, \(configuration.maxConnections) connections, "
        + "queue mark \(configuration.outboundHighWaterMark) B, write stall \(ms(configuration.writeStallTimeout)) ms, "
        + "ping \(ms(configuration.pingInterval)) + \(ms(configuration.pingTimeout)) ms")
    let bench = self
    let start = Sample.take(port: port, heap: true)
    print(
      "baseline: RSS \(mb(start.resident)) MB, \(start.descriptors) descriptors, \(start.threads) threads, "
        + start.heapText)
    // Every round prints one line (the last one too, before the full report).
    var run: Run? = nil
    for round in 1...max(rounds, 1) {
      let finished = await Task.detached { bench.drive(port: port, message: message, server: server) }.value
      let answered = finished.results.values.reduce(0) { $0 + $1.steers + $1.manuals }
      let sent = finished.results.values.reduce(0) { $0 + $1.sent }
      let after = finished.after
      print(
        "round \(round): answered \(answered)/\(sent), after: \(after.descriptors) descriptors, "
          + "\(after.serverSockets) server sockets, \(server.sessionCount) sessions, \(after.threads) threads, "
          + "RSS \(mb(after.resident)) MB, \(after.heapText)"
      )
      run = finished
    }
    guard let run else { return }
    let stats = server.statistics
    let openAfter = (server.connectionCount, server.sessionCount)
    try await server.stop()
    report(run, stats: stats, openAfter: openAfter, port: port)
  }

  struct Run {
    var results: [Int: LoadClient.Result]
    var outcomes: [HostileOutcome]
    var elapsed: Double
    var before, during, after: Sample
    var peakResident: Int
  }

  /// The clients, on threads of their own (they block), with a sampler of the process's resources.
  func drive(port: Int, message: String, server: DriveServer) -> Run {
    let before = Sample.take(port: port)
    let during = NIOLockedValueBox(before)
    let sampling = NIOLockedValueBox(true)
    let samplerStopped = DispatchSemaphore(value: 0)
    let sampler = Thread {
      while sampling.withLockedValue({ $0 }) {
        let now = Sample.take(port: port)
        during.withLockedValue { $0 = Sample.max($0, now) }
        usleep(100_000)
      }
      samplerStopped.signal()
    }
    sampler.start()

    let started = Date()
    let connected = DispatchGroup()
    let done = DispatchGroup()
    let results = NIOLockedValueBox([Int: LoadClient.Result]())
    var generator = SplitMix64(seed: 14)
    let phases = (0..<clients).map { _ in Double(generator.next() >> 11) / Double(1 << 53) / (rate ?? 1) }
    for index in 0..<clients {
      connected.enter()
      done.enter()
      var client = LoadClient(port: port, message: message, frames: frames, warmup: warmup)
      if let rate {
        // Independent simulators: each starts at its own seeded phase within the first interval.
        client.interval = 1 / rate
        client.phase = phases[index]
      }
      Thread.detachNewThread { [client] in
        var entered = false
        let result = client.run {
          entered = true
          connected.leave()
        }
        if !entered { connected.leave() }
        results.withLockedValue { $0[index] = result }
        done.leave()
      }
    }
    let outcomes = NIOLockedValueBox([HostileOutcome]())
    if hostile {
      // Once the good clients are in: the abuse must not keep them out.
      connected.wait()
      for kind in HostileKind.allCases {
        var client = HostileClient(kind: kind, port: port, waitSeconds: 120)
        client.telemetry = message
        client.count = kind == .churn ? 1000 : kind == .halfOpenTCP ? 300 : 50
        done.enter()
        Thread.detachNewThread { [client] in
          let outcome = client.run()
          outcomes.withLockedValue { $0.append(outcome) }
          done.leave()
        }
      }
    }
    done.wait()
    let elapsed = Date().timeIntervalSince(started)
    // The server's side of every connection closes too.
    for _ in 0..<600 where server.connectionCount > 0 { usleep(100_000) }
    // And the server gives back what the burst took once it is idle (idleMemoryRelease).
    if server.configuration.idleMemoryRelease != nil {
      for _ in 0..<600 where !server.isIdleAndReleased { usleep(100_000) }
    }
    sampling.withLockedValue { $0 = false }
    samplerStopped.wait()  // its own reads of /proc are closed before the last sample
    return Run(
      results: results.withLockedValue { $0 }, outcomes: outcomes.withLockedValue { $0 }, elapsed: elapsed,
      before: before, during: during.withLockedValue { $0 }, after: Sample.take(port: port, heap: true),
      peakResident: ProcessCensus.memory().peak)
  }

  func report(_ run: Run, stats: DriveStatistics, openAfter: (Int, Int), port: Int) {
    let (all, elapsed, before, high, after, peak) = (
      run.results, run.elapsed, run.before, run.during, run.after, run.peakResident
    )
    var overall: [Double] = []
    var answered = 0
    var sent = 0
    for index in 0..<clients {
      guard let result = all[index] else { continue }
      overall += result.roundTrips
      answered += result.steers + result.manuals
      sent += result.sent
      var line =
        String(format: "client %2d: ", index + 1)
        + "p50 \(DriveBench.format(DriveBench.percentile(result.roundTrips, 0.5))) ms, "
        + "p99 \(DriveBench.format(DriveBench.percentile(result.roundTrips, 0.99))) ms, "
        + "answered \(result.steers + result.manuals)/\(result.sent) (\(result.steers) steer)"
      if let failure = result.failure { line += ", FAILED: \(failure)" }
      if !result.invalid.isEmpty { line += ", \(result.invalid.count) INVALID replies" }
      print(line)
    }
    DriveBench.report("overall round trip (client)", overall)
    print(String(format: "answered %d/%d telemetry in %.1f s", answered, sent, elapsed))
    let prefix = rate == nil ? "drive clients" : "drive paced"
    if rate != nil {
      let late = all.values.reduce(0) { $0 + $1.late }
      print("late frames (sent after their tick: the previous reply came after it): \(late)")
    } else {
      print(String(format: "drive clients frames/s: %.0f", Double(answered) / max(elapsed, 1e-9)))
    }
    print("\(prefix) p50 ms: \(DriveBench.format(DriveBench.percentile(overall, 0.5)))")
    print("\(prefix) p99 ms: \(DriveBench.format(DriveBench.percentile(overall, 0.99)))")
    for outcome in run.outcomes.sorted(by: { $0.kind.rawValue < $1.kind.rawValue }) {
      print("hostile \(outcome)")
    }
    print(
      "server: \(stats.connections) connections, \(stats.refused) refused (cap), \(stats.handshakeTimeouts) "
        + "handshake timeouts, \(stats.oversized) oversized, \(stats.malformed) malformed, \(stats.stalled) "
        + "closed for not reading, peak queue \(stats.peakOutboundBytes) bytes; open after: "
        + "\(openAfter.0) connections, \(openAfter.1) sessions")
    print(
      "descriptors (process): before \(before.descriptors), max during \(high.descriptors), after \(after.descriptors)"
    )
    print("threads (process): before \(before.threads), after \(after.threads)")
    print(
      "server sockets (port \(port)): before \(before.serverSockets), max during \(high.serverSockets), "
        + "after \(after.serverSockets)")
    print(
      "RSS (process): before \(mb(before.resident)) MB, max during \(mb(high.resident)) MB, "
        + "after \(mb(after.resident)) MB, peak \(mb(peak)) MB; after: \(after.heapText)")
    print("drive peak RSS MB: \(mb(peak))")
  }

  private func ms(_ t: TimeAmount) -> Int64 { t.nanoseconds / 1_000_000 }
  private func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
