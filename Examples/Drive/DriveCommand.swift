import ArgumentParser
import ConvNet
import Drive
import DrivingData
import Foundation
import HDF5
import Logging
import ModelFile
import NIOConcurrencyHelpers
import PipelineArguments

/// `Drive model.h5 [image_folder]`: like `python drive.py model.h5 run1`. Loads the model, serves
/// the simulator on 127.0.0.1:4567, prints one line per frame, and optionally saves every
/// received frame to `image_folder` (emptied first) for `Video`.
@main
struct DriveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "Drive", abstract: "Drive the Udacity simulator with a trained model (like drive.py).")

  static func main() async {
    // A child reading the model file for its parent (see IsolatedRead) does only that.
    if let status = IsolatedRead.serveIfChild() { Foundation.exit(status) }
    await main(nil)
  }

  @Argument(help: "Keras model file (model.h5).")
  var model: String

  @Argument(
    help: "Folder to save every received frame in, as <UTC yyyy_MM_dd_HH_mm_ss_fff>.jpg (emptied first).")
  var imageFolder: String?

  @Option(help: "Address to listen on. The simulator connects to 127.0.0.1.")
  var host: String = "127.0.0.1"

  @Option(help: "Port; the simulator's is 4567.")
  var port: Int = 4567

  @Option(
    help: "Set speed of the PI throttle controller, mph (the seed drove at 25; drive.py's default is 9).")
  var speed: Double = 25

  @Option(
    help: """
      Slow for curves: the lateral acceleration (m/s^2) allowed on the curvature the steering \
      implies, as the simulator's expert does (it uses 3). Off by default, as in drive.py.
      """)
  var curveAccel: Double?

  @OptionGroup(title: "Input pipeline (for a model file without a stored one, or to override it)")
  var pipelineOptions: PipelineOptions

  @Option(help: "Largest accepted message in bytes.")
  var maxMessageSize: Int = 1_000_000

  @Flag(
    help: """
      Send a VisualBackProp saliency mask with every steer: an extra "saliency" field, base64 of an \
      8-bit grey PNG the size of the camera frame (the simulator ignores it; docs/saliency.md).
      """)
  var saliency = false

  @Option(
    help: """
      Copies of the model, each with its own scratch: cars on different event loops predict on \
      different copies at once (the file is read once per copy). Default: one per core.
      """)
  var predictors = ProcessInfo.processInfo.activeProcessorCount

  @Option(
    help: """
      Threads one frame's forward splits across while it is the only frame in flight (1: no split). \
      Default: 2 on 2 or more cores (measured: one car's p99 1.41 -> 1.07 ms; README, "Drive \
      latency: both cores").
      """)
  var splitThreads = min(ProcessInfo.processInfo.activeProcessorCount, 2)

  @Flag(help: "No per-frame lines.")
  var quiet = false

  @Flag(help: "Log protocol details.")
  var verbose = false

  @Flag(help: "Load the model, print what was loaded and exit, without serving.")
  var check = false

  @Flag(help: "Read the model file in this process rather than a child (also BC_NO_ISOLATION=1).")
  var noIsolation = false

  func validate() throws {
    if let curveAccel, !(curveAccel.isFinite && curveAccel > 0) {
      throw ValidationError("--curve-accel: a lateral acceleration in m/s^2, above 0")
    }
    guard predictors >= 1, splitThreads >= 1 else {
      throw ValidationError("--predictors and --split-threads must be at least 1")
    }
  }

  func run() async throws {
    // A long-running server: two malloc arenas keep RSS flat across bursts (ProcessMemory).
    ProcessMemory.limitArenas(2)
    var logger = Logger(label: "drive")
    logger.logLevel = verbose ? .debug : .notice
    let (predictor, loaded) = try SequentialPredictor.load(
      path: model, options: pipelineOptions.loadOptions(),
      isolated: !noIsolation && IsolatedRead.enabledByEnvironment)
    let pipeline = loaded.pipeline
    say(
      "model: \(loaded.model.parameters.count) parameters, input \(loaded.model.inputShape), "
        + "crop \(pipeline.cropTop),\(pipeline.cropBottom), resize \(pipeline.resizeWidth.map(String.init) ?? "-")x"
        + "\(pipeline.resizeHeight.map(String.init) ?? "-"), \(pipeline.colorSpace.rawValue)"
        + (loaded.kerasVersion.map { ", Keras \($0)" } ?? ""))
    for note in loaded.notes { say("model: \(note)") }
    if check { return }
    var pool = [predictor]
    for _ in 1..<predictors {
      pool.append(
        try SequentialPredictor.load(
          path: model, options: pipelineOptions.loadOptions(),
          isolated: !noIsolation && IsolatedRead.enabledByEnvironment
        ).predictor)
    }
    for copy in pool { copy.model.singleImageThreads = splitThreads }
    let recorder = try imageFolder.map { try FrameRecorder(folder: $0, logger: logger) }
    let curveLimit = curveAccel.map(CurveSpeedLimit.init(lateralAcceleration:))
    let autopilot =
      saliency
      ? Autopilot(
        saliencyPredictors: pool.map { $0 }, setSpeed: speed, curveLimit: curveLimit, recorder: recorder)
      : Autopilot(predictors: pool.map { $0 }, setSpeed: speed, curveLimit: curveLimit, recorder: recorder)
    let printer = FramePrinter(quiet: quiet)
    let server = try await DriveServer(
      configuration: .init(host: host, port: port, maxMessageSize: maxMessageSize), autopilot: autopilot,
      logger: logger, onFrame: { printer.print($0) })
    say(
      "Drive: \(model) on \(host):\(server.localPort), set speed \(speed) mph"
        + ", \(predictors) predictor(s)"
        + (splitThreads > 1 ? ", a lone frame split across \(splitThreads)" : "")
        + (curveAccel.map { ", slowing for curves at \($0) m/s^2" } ?? "")
        + (imageFolder.map { ", saving frames to \($0)" } ?? "") + (saliency ? ", with saliency masks" : "")
        + ". Ctrl-C stops.")
    await waitForInterrupt()
    try await server.stop()
    recorder?.flush()
    let stats = server.statistics
    say(
      "Drive: \(stats.telemetry) telemetry, \(stats.steer) steer, \(stats.manual) manual, "
        + "\(stats.malformed) malformed" + (recorder.map { ", \($0.counts.saved) frames saved" } ?? ""))
  }

  /// Suspends until SIGINT or SIGTERM.
  func waitForInterrupt() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let once = NIOLockedValueBox(false)
      for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
          let first = once.withLockedValue { done in
            defer { done = true }
            return !done
          }
          if first { continuation.resume() }
        }
        source.resume()
        Signals.keep(source)
      }
    }
  }
}

/// Unbuffered stdout: lines appear at once, also through a pipe (`Drive model.h5 | tee log`).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Keeps the signal sources alive for the life of the process.
enum Signals {
  nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
  static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}

/// One line per frame: steering, throttle, speed, latency. Lines from several cars never interleave.
final class FramePrinter: Sendable {
  let quiet: Bool
  private let lock = NIOLock()
  init(quiet: Bool) { self.quiet = quiet }

  func print(_ r: FrameReport) {
    guard !quiet else { return }
    let line =
      String(
        format: "steering %+.4f  throttle %+.4f  speed %5.2f mph  latency %.2f ms", r.steering, r.throttle,
        r.speed, r.latencySeconds * 1000) + "  [\(r.session.prefix(6))]"
    lock.withLock { say(line) }
  }
}
