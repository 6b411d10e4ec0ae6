import ArgumentParser
import ConvNet
import Dispatch
import Drive
import DriveClients
import DrivingData
import Foundation
import Logging
import ModelFile
import NIOConcurrencyHelpers
import TensorCore

/// `Bench drive`: latency of the Drive server on the seed network, from the telemetry's last byte
/// received to the steer frame written (server side), over `--frames` frames sent exactly as the
/// simulator sends them (EIO=4 URL, 1016-byte fragments). Also the client's round trip.
/// `--peer-port P` times only the round trip against another server (Benchmarks/drive_peer.py).
/// `--clients N` drives N simulator-like clients at once (DriveLoadBench.swift), each sending its
/// next frame as soon as it has a reply (throughput), or with `--rate HZ` at the simulator's pace
/// (latency); `--hostile` adds every kind of abusive client next to them.
struct DriveBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drive", abstract: "Telemetry -> steer latency, p50/p99 (seed model, 320x160 JPEG frames).")

  @Option(help: "Timed frames.")
  var frames = 1000

  @Option(help: "Untimed frames first.")
  var warmup = 100

  @Option(help: "Model threads (1 keeps latency steady on a shared machine).")
  var threads = 1

  @Option(
    help: """
      Threads one frame's forward splits each convolution across, by channel tile or row (1: no \
      split). Default: Drive's (2 on 2 or more cores; with --clients, only a frame alone in flight).
      """)
  var splitThreads = min(availableCores, 2)

  @Option(help: "Time the round trip against a server already listening on this port instead.")
  var peerPort: Int?

  @Option(
    help: "Engine.IO version in the peer's URL (python-engineio >= 3.14 refuses the simulator's EIO=4).")
  var peerEIO = 3

  @Option(help: "Concurrent simulator-like clients (more than 1: per-client and overall latency, peak RSS).")
  var clients = 1

  @Option(
    help: """
      With --clients: each client sends a frame every 1/rate s (open loop, one in flight: a late \
      reply delays the next frame), as the simulator does: the Unity client sends one telemetry per \
      rendered frame once its reply came, 15-25 frames/s on typical machines, and Simulate sends \
      20 Hz of simulated time (docs/simulator.md). Without it each client sends its next frame as \
      soon as it has a reply (saturation: a throughput measure, frames/s).
      """)
  var rate: Double?

  @Option(
    help: "With --clients: predictors in the server's pool (copies of the model). Default: one per core.")
  var predictors = availableCores

  @Flag(help: "With --clients: hostile clients of every kind at the same time.")
  var hostile = false

  @Option(help: "With --clients: rounds against the same server (RSS after each round shows leaks).")
  var rounds = 1

  @Option(help: "With --clients: handshake, ping and write-stall timeouts in seconds (short rounds).")
  var timeouts: Double?

  @Option(help: "With --clients: malloc arenas, as the Drive executable sets (2); 0 keeps glibc's default.")
  var arenas = 2

  func run() throws {
    // Before any thread allocates: an arena made before the cap stays for the process's life.
    if (clients > 1 || hostile) && arenas > 0 { ProcessMemory.limitArenas(arenas) }
    let semaphore = DispatchSemaphore(value: 0)
    let failure = NIOLockedValueBox<Error?>(nil)
    let bench = self
    Task {
      do { try await bench.measure() } catch { failure.withLockedValue { $0 = error } }
      semaphore.signal()
    }
    semaphore.wait()
    if let error = failure.withLockedValue({ $0 }) { throw error }
  }

  func measure() async throws {
    let jpeg = try Self.syntheticFrame()
    let message = Self.telemetry(jpeg: jpeg)
    print("frame: 320x160 JPEG \(jpeg.count) bytes, telemetry message \(message.utf8.count) bytes")
    if clients > 1 || hostile {
      if let rate, !(rate > 0 && rate <= 1000) { throw ValidationError("--rate must be in (0, 1000] Hz") }
      try await DriveLoadBench(
        clients: max(clients, 1), frames: frames, modelThreads: threads, hostile: hostile, rounds: rounds,
        timeouts: timeouts, rate: rate, predictors: max(predictors, 1), splitThreads: max(splitThreads, 1)
      ).run(message: message)
      return
    }
    if let peerPort {
      let path = "/socket.io/?EIO=\(peerEIO)&transport=websocket"
      let rtt = try Self.drive(port: peerPort, path: path, message: message, frames: frames, warmup: warmup)
      Self.report("round trip (client)", rtt)
      print("drive peer p50 ms: \(Self.format(Self.percentile(rtt, 0.5)))")
      print("drive peer p99 ms: \(Self.format(Self.percentile(rtt, 0.99)))")
      return
    }
    let model = try Sequential.seedModel(seed: 1, dropout: 0, threads: threads)
    model.singleImageThreads = splitThreads
    let predictor = try SequentialPredictor(model: model, pipeline: .seed)
    try Self.stages(jpeg: jpeg, model: model)
    let latencies = NIOLockedValueBox<[Double]>([])
    var logger = Logger(label: "bench.drive")
    logger.logLevel = .error
    let server = try await DriveServer(
      configuration: .init(port: 0, threads: 1), autopilot: Autopilot(predictor: predictor), logger: logger,
      onFrame: { report in latencies.withLockedValue { $0.append(report.latencySeconds * 1000) } })
    let port = server.localPort
    let rtt = try await Task.detached {
      try Self.drive(
        port: port, path: "/socket.io/?EIO=4&transport=websocket", message: message, frames: frames,
        warmup: warmup)
    }.value
    try await server.stop()
    let serverSide = Array(latencies.withLockedValue { $0 }.suffix(frames))
    print(
      "seed model \(model.parameters.count) parameters, \(threads) model thread(s), split across "
        + "\(splitThreads), \(frames) frames")
    Self.report("server (last byte in -> steer out)", serverSide)
    Self.report("round trip (client)", rtt)
    print("drive round-trip p50 ms: \(Self.format(Self.percentile(rtt, 0.5)))")
    print("drive round-trip p99 ms: \(Self.format(Self.percentile(rtt, 0.99)))")
    print("drive p50 ms: \(Self.format(Self.percentile(serverSide, 0.5)))")
    print("drive p99 ms: \(Self.format(Self.percentile(serverSide, 0.99)))")
  }

  /// Median time of each stage of the reply path, in process (no sockets).
  static func stages(jpeg: [UInt8], model: Sequential) throws {
    let b64 = Data(jpeg).base64EncodedString()
    let decoder = JPEGDecoder()
    var image = RGBImage(width: 1, height: 1)
    var resized = image
    func median(_ body: () throws -> Void) rethrows -> Double {
      var t: [Double] = []
      for _ in 0..<200 {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        t.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
      }
      return percentile(t, 0.5)
    }
    let message = Substring(telemetry(jpeg: jpeg).dropFirst())  // the Engine.IO `4` is the session's
    let parse = try median {  // as the server: the simulator's form on the fast path
      let fields =
        try SocketIOPacket.simulatorTelemetry(message).map { [$0] }
        ?? SocketIOPacket(parsing: message)
        .event().arguments
      _ = try Telemetry(arguments: fields)
    }
    let base64 = median { _ = Data(base64Encoded: b64) }
    // As the server does: only the rows the network reads (its crop), decoded and resized.
    var preparer = FramePreparer(pipeline: .seed, rows: model.inputRowsRead)
    let band = { (w: Int, h: Int) in try? preparer.frameRows(width: w, height: h) }
    let decode = try median { try jpeg.withUnsafeBytes { try decoder.decode($0, into: &image, rows: band) } }
    let resize = try median { resized = try preparer.prepare(image) }
    let forward = try median {
      _ = try resized.pixels.withUnsafeBufferPointer { try model.predict(image: $0) }
    }
    print(
      "stages (median ms): parse \(format(parse)), base64 \(format(base64)), JPEG decode \(format(decode)), resize \(format(resize)), forward \(format(forward))"
    )
  }

  /// One simulator-like chain; returns the client's round trips in ms (timed frames only).
  static func drive(port: Int, path: String, message: String, frames: Int, warmup: Int) throws -> [Double] {
    let client = try WireClient(port: port, path: path)
    var times: [Double] = []
    times.reserveCapacity(frames)
    let start = Date()
    for i in 0..<(warmup + frames) {
      try client.sendText(message)
      var reply: String
      repeat { reply = try client.receiveText() } while !reply.hasPrefix("42")
      guard reply.hasPrefix(#"42["steer""#) else {
        throw ValidationError("server answered \(reply.prefix(60))")
      }
      var now = timespec()
      clock_gettime(CLOCK_MONOTONIC, &now)
      let received = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
      if i >= warmup { times.append(Double(received - client.lastSendTime) / 1000) }
      if i > 0, i % 250 == 0 {
        let rate = Double(i) / Date().timeIntervalSince(start)
        FileHandle.standardError.write(
          Data(String(format: "  %d/%d frames, %.0f frames/s\n", i, warmup + frames, rate).utf8))
      }
    }
    return times
  }

  static func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
  }

  static func format(_ v: Double) -> String { String(format: "%.3f", v) }

  static func report(_ name: String, _ values: [Double]) {
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    print(
      "\(name): p50 \(format(percentile(values, 0.5))) ms, p99 \(format(percentile(values, 0.99))) ms, "
        + "mean \(format(mean)) ms, max \(format(values.max() ?? .nan)) ms")
  }

  /// A deterministic road-like 320x160 frame (sky, grass with texture, grey road, lane edges),
  /// JPEG quality 75 like Unity's encoder, so the message is the simulator's usual size.
  static func syntheticFrame() throws -> [UInt8] {
    var rng = SplitMix64(seed: 2017)
    var image = RGBImage(width: 320, height: 160)
    for y in 0..<160 {
      for x in 0..<320 {
        let noise = Int(rng.next() % 64)
        var rgb: (Int, Int, Int)
        if y < 60 {
          rgb = (120 + y, 160 + y, 230)
        } else {
          let half = Double(y - 60) * 1.5 + 10
          let dx = abs(Double(x) - 160)
          if dx < half - 4 {
            rgb = (105 + noise / 2, 105 + noise / 2, 110 + noise / 2)
          } else if dx < half {
            rgb = (220, 200, 60)
          } else {
            rgb = (70 + noise, 110 + noise * 2, 40 + noise)
          }
        }
        let i = (y * 320 + x) * 3
        image.pixels[i] = UInt8(clamping: rgb.0)
        image.pixels[i + 1] = UInt8(clamping: rgb.1)
        image.pixels[i + 2] = UInt8(clamping: rgb.2)
      }
    }
    return try JPEGEncoder(quality: 75).encode(image)
  }

  static func telemetry(jpeg: [UInt8]) -> String {
    #"42["telemetry",{"steering_angle":"0.0000","throttle":"0.2000","speed":"24.9812","image":""#
      + Data(jpeg).base64EncodedString() + #""}]"#
  }
}
