// `Simulate serve`: the world in real time (wall clock, fixed physics steps) on its own thread, shown
// on the live page. Training mode: the person at the page drives and may record, in the format
// `Simulate record` writes. Autonomous mode: a Drive server drives as in `Simulate drive --real-time`.
// The page never holds the loop up: frames go to each viewer without waiting and are dropped for a
// viewer that is behind.
import DrivingData
import Foundation
import TensorCore

/// How `Simulate serve` runs.
public struct LiveOptions: Sendable {
  public var track = "lake"
  /// Where the page is served; 0.0.0.0 (or any non-loopback address) needs `allowRemote`.
  public var host = "127.0.0.1"
  public var port = 8080
  public var allowRemote = false
  /// The Drive server of autonomous mode.
  public var driveHost = "127.0.0.1"
  public var drivePort = 4567
  /// Recording folder (driving_log.csv and IMG/ are appended to, as `Simulate record --output`).
  public var recordingDirectory = "recording"
  public var limits = LiveServerLimits()
  /// Ground texture resolution (m); see `Renderer`.
  public var mapCellSize = 0.1
  /// Start in autonomous mode (what `make demo` shows).
  public var startAutonomous = false

  public init() {}
}

/// The live simulator and its page server.
public final class LiveSession: @unchecked Sendable {
  public let options: LiveOptions
  public let server: LiveServer
  let hub: LiveHub
  private let stopRequested = Locked(false)
  private let finished = Locked(false)
  private let latest = Locked<LiveState?>(nil)
  private let mapJSON: Locked<String>
  private let helloJSON: String
  private var thread: Thread?

  /// Recording: samples per simulated second (as `Simulate record`) and control updates per sample.
  static let sampleRate = 15.0
  static var controlPeriod: Double { 1 / (2 * sampleRate) }

  /// Loads the track and starts serving the page (the simulation starts with `start()` or `run()`).
  public init(options: LiveOptions) throws {
    guard TrackLibrary.names.contains(options.track) else {
      throw SimulatorError.unknownTrack(options.track)
    }
    self.options = options
    let hub = LiveHub()
    self.hub = hub
    helloJSON = LiveHello(
      tracks: TrackLibrary.names, driveServer: "\(options.driveHost):\(options.drivePort)",
      recordingDirectory: URL(fileURLWithPath: options.recordingDirectory).standardizedFileURL.path,
      maxFramesPerSecond: options.limits.maxFramesPerSecond
    ).liveJSON()
    let map = Locked(LiveMap(track: try Track(named: options.track)).liveJSON())
    mapJSON = map
    server = try LiveServer(
      host: options.host, port: options.port, allowRemote: options.allowRemote, limits: options.limits,
      hub: hub)
    let hello = helloJSON
    let latest = self.latest
    hub.greet.withLock {
      $0 = { viewer in
        viewer.send(text: hello)
        viewer.send(text: map.withLock { $0 })
        if let state = latest.withLock({ $0 }) { viewer.send(text: state.liveJSON()) }
      }
    }
  }

  /// The page's address.
  public var url: String { server.url }

  /// The last state sent to the page (nil before the first).
  package var state: LiveState? { latest.withLock { $0 } }

  /// Runs the simulation on a thread of its own.
  public func start() {
    let thread = Thread { [self] in
      self.loop()
      self.finished.withLock { $0 = true }
    }
    thread.name = "live-simulation"
    thread.stackSize = 8 << 20
    self.thread = thread
    thread.start()
  }

  /// Runs the simulation on this thread until `stop()`.
  public func run() {
    loop()
    finished.withLock { $0 = true }
  }

  /// Stops the simulation and the server (waits for the loop to end).
  public func stop() {
    stopRequested.withLock { $0 = true }
    if thread != nil {
      while !finished.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.01) }
    }
    server.stop()
  }

  // MARK: - The loop (its state lives on the simulation thread only)

  private func loop() {
    var sim = LiveSimulation(options: options)
    do {
      try sim.load(track: options.track)
    } catch {
      sim.error = "\(error)"
    }
    if options.startAutonomous { sim.mode = .autonomous }
    var lastWall = Date()
    var lastPublish = Date.distantPast
    let publishPeriod = 1 / max(options.limits.maxFramesPerSecond, 1)
    while !stopRequested.withLock({ $0 }) {
      for command in hub.takeCommands() {
        let trackBefore = sim.trackName
        sim.handle(command)
        if sim.trackName != trackBefore, let track = sim.track {
          let map = LiveMap(track: track).liveJSON()
          mapJSON.withLock { $0 = map }
          for viewer in hub.all { viewer.send(text: map) }
        }
      }
      let now = Date()
      let dt = min(now.timeIntervalSince(lastWall), 0.25)
      lastWall = now
      var frame: RGBImage?
      switch sim.mode {
      case .training:
        sim.trainingStep(wallSeconds: dt)
      case .autonomous:
        frame = sim.autonomousStep(wallSeconds: dt)
      }
      if Date().timeIntervalSince(lastPublish) >= publishPeriod {
        lastPublish = Date()
        publish(&sim, frame: frame)
      }
      if sim.mode == .training || sim.paused || sim.controller == nil {
        // Training ticks at about 100 Hz of wall clock; the physics inside stays in fixed steps.
        Thread.sleep(forTimeInterval: 0.01)
      }
    }
    sim.shutDown()
  }

  private func publish(_ sim: inout LiveSimulation, frame: RGBImage?) {
    let image = frame ?? sim.cameraFrame()
    let jpeg = image.flatMap { try? sim.encoder.encode($0) }
    sim.framesPublished += 1
    let state = sim.state()
    latest.withLock { $0 = state }
    let text = state.liveJSON()
    for viewer in hub.all { viewer.send(jpeg: jpeg, state: text) }
  }
}

/// The simulation's state between ticks.
struct LiveSimulation {
  let options: LiveOptions
  var mode = LiveMode.training
  var paused = false
  var trackName = ""
  var track: Track?
  var world: World?
  var renderer: Renderer?
  private var renderers: [String: Renderer] = [:]
  var steering = KeyboardAxis()
  var throttle = KeyboardAxis()
  private var steeringTarget = 0.0
  private var throttleTarget = 0.0
  private var analog = false
  /// Simulated time not yet stepped (training runs in control periods of 1/30 s).
  private var pendingSeconds = 0.0
  private var controlTicks = 0
  var recording = false
  private var writer: RecordingWriter?
  var rows = 0
  /// Seconds since 1970 that name the images: the session's start plus all simulated time so far
  /// (never reset, so names never collide after a reset).
  private var recordingClock = Date().timeIntervalSince1970
  var controller: RemoteController?
  var replies = 0
  var serverSteering: String?
  var saliency: String?
  var error: String?
  var framesPublished = 0
  let encoder = JPEGEncoder(quality: 75)

  init(options: LiveOptions) { self.options = options }

  mutating func load(track name: String) throws {
    let track = try Track(named: name)
    let renderer = renderers[name] ?? Renderer(track: track, mapCellSize: options.mapCellSize)
    renderers[name] = renderer
    self.track = track
    self.renderer = renderer
    trackName = name
    world = World(track: track)
    steering = KeyboardAxis()
    throttle = KeyboardAxis()
  }

  mutating func handle(_ command: LiveCommand) {
    switch command {
    case .input(let s, let t, let isAnalog):
      steeringTarget = s
      throttleTarget = t
      analog = isAnalog
    case .record(let on):
      guard mode == .training else {
        error = "recording is for training mode"
        return
      }
      if on, writer == nil {
        do {
          writer = try RecordingWriter(directory: options.recordingDirectory)
        } catch {
          self.error = "cannot record to \(options.recordingDirectory): \(error)"
          return
        }
      }
      recording = on
    case .pause(let on): paused = on
    case .reset:
      if let track {
        world = World(track: track)
        steering = KeyboardAxis()
        throttle = KeyboardAxis()
      }
    case .track(let name):
      guard name != trackName else { return }
      do {
        try load(track: name)
      } catch {
        self.error = "\(error)"
      }
    case .mode(let m):
      guard m != mode else { return }
      error = nil
      mode = m
      recording = false
      if m == .training {
        controller?.finish()
        controller = nil
      }
    }
  }

  /// Advances `wallSeconds` in control periods: the keys move the axes, the axes drive the car,
  /// and every second period writes a row when recording.
  mutating func trainingStep(wallSeconds: Double) {
    guard !paused, var world else { return }
    pendingSeconds = min(pendingSeconds + wallSeconds, 0.25)
    let period = LiveSession.controlPeriod
    while pendingSeconds >= period {
      pendingSeconds -= period
      if analog {
        steering.set(steeringTarget)
        throttle.set(throttleTarget)
      } else {
        steering.update(target: steeringTarget, dt: period)
        throttle.update(target: throttleTarget, dt: period)
      }
      world.apply(Controls(steering: steering.value, throttle: throttle.value))
      if recording, controlTicks % 2 == 0 { writeRow(world) }
      world.advance(by: period)
      controlTicks += 1
      recordingClock += period
    }
    self.world = world
  }

  private mutating func writeRow(_ world: World) {
    guard let writer, let renderer else { return }
    let state = world.vehicle.state
    let images = Camera.allCases.map { renderer.image($0, state: state) }
    do {
      try writer.append(
        center: images[0], left: images[1], right: images[2], steering: Float(state.controls.steering),
        throttle: Float(max(state.controls.throttle, 0)), brake: Float(max(-state.controls.throttle, 0)),
        speed: Float(state.speedMph), timestamp: recordingClock)
      rows += 1
    } catch {
      self.error = "recording stopped: \(error)"
      recording = false
    }
  }

  /// One exchange with the Drive server, then the world advances by the wall time it took
  /// (as `Simulate drive --real-time`). Returns the frame the server saw.
  mutating func autonomousStep(wallSeconds: Double) -> RGBImage? {
    guard !paused, var world, let renderer else { return nil }
    if controller == nil {
      do {
        controller = try RemoteController(host: options.driveHost, port: options.drivePort)
        error = nil
      } catch {
        self.error = "no Drive server at \(options.driveHost):\(options.drivePort): \(error)"
        mode = .training
        return nil
      }
    }
    guard let controller else { return nil }
    let frame = renderer.image(.center, state: world.vehicle.state)
    let controls: Controls?
    do {
      controls = try controller.controls(
        after: Observation(state: world.vehicle.state, frame: frame, time: world.time))
    } catch {
      self.error = "Drive server: \(error)"
      controls = nil
    }
    guard let controls else {
      controller.finish()
      self.controller = nil
      mode = .training
      return frame
    }
    replies = controller.repliesReceived
    serverSteering = controller.lastSteering
    saliency = controller.lastSaliency
    world.apply(controls)
    world.advance(by: wallSeconds)
    recordingClock += wallSeconds
    self.world = world
    return frame
  }

  func cameraFrame() -> RGBImage? {
    guard let world, let renderer else { return nil }
    return renderer.image(.center, state: world.vehicle.state)
  }

  func state() -> LiveState {
    let vehicle = world?.vehicle.state
    let location = world?.location
    let center = world?.vehicle.center ?? Vec2(x: 0, y: 0)
    return LiveState(
      mode: mode, track: trackName, time: world?.time ?? 0, paused: paused, speedMph: vehicle?.speedMph ?? 0,
      steering: vehicle?.controls.steering ?? 0, throttle: vehicle?.controls.throttle ?? 0,
      cte: location?.lateral ?? 0, halfWidth: track?.halfWidth ?? 0, x: center.x, y: center.y,
      heading: vehicle?.heading ?? 0, laps: world?.laps.lapsCompleted ?? 0,
      offRoad: world?.offRoadEvents ?? 0,
      recording: recording, rows: rows, recordedSeconds: Double(rows) / LiveSession.sampleRate,
      serverSteering: mode == .autonomous ? serverSteering : nil, replies: replies,
      saliency: mode == .autonomous ? saliency : nil, error: error, frame: framesPublished)
  }

  mutating func shutDown() {
    controller?.finish()
    controller = nil
    writer?.close()
    writer = nil
  }
}
