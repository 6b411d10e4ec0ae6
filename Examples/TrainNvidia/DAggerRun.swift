// DAgger (Ross, Gordon and Bagnell 2011) after the first training: each round the current model
// drives in the simulator (in this process, at the target speed, latency and conditions) while the
// expert labels every frame it is shown and takes the wheel only to prevent an off-road event.
// The labelled frames are a normal recording (<dagger-dir>/round-N); it joins the data, the store
// is prepared again and training continues from the current weights.
import Cluster
import DrivingData
import Foundation
import ModelFile
import Report
import Simulator

struct DAggerRun {
  let command: TrainNvidia
  let world: MPIWorld
  var options: DAggerOptions { command.daggerOptions }

  var folder: String { options.daggerDir ?? command.training.output + ".dagger" }

  /// Runs every round, then a check drive of the final model; writes dagger.json (and the chart) to
  /// the report folder when there is one, else next to the recordings.
  func run(firstLoss: Float?) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let track = try command.daggerTrack()
    let renderer = Renderer(track: track)
    // Each round draws its own conditions (roundSeed); say so rather than quote one round's seed.
    let conditions =
      options.daggerConditions
      ? DriveConditions.standard(seed: 0).settings + ", seed \(command.preparation.seed) x 1000 + round" : nil
    var history = DAggerHistory(
      track: track.name, speedMph: options.daggerSpeed, latency: "\(latency)", conditions: conditions)
    var data = command.data
    var loss = firstLoss
    for round in 1...(options.dagger + 1) {
      let recorded = round <= options.dagger
      let recording = recorded ? folder + "/round-\(round)" : nil
      say(
        "== DAgger round \(round) of \(options.dagger): \(recorded ? "drive, label, add" : "check drive of the final model")"
      )
      var result = try drive(round: round, track: track, renderer: renderer, recording: recording)
      result.validationLoss = loss.map(Double.init)
      history.rounds.append(result)
      say(
        String(
          format:
            "round %d: %.2f laps, %d rows (%d while the expert drove), %d interventions, %d off-road, CTE mean %.3f max %.3f m",
          round, result.laps, result.rows, result.recoveryRows, result.interventions, result.offroadEvents,
          result.meanCteM, result.maxCteM))
      try write(history)
      guard let recording else { break }
      data.append(recording)
      loss = try retrain(on: data)
    }
    say(String(format: "DAgger: %.2f laps of rows added in %d rounds", history.addedLaps, options.dagger))
  }

  var latency: Latency { .fixed(milliseconds: options.daggerLatencyMs, jitter: options.daggerJitterMs) }

  /// The seed of round `round`'s latency jitter and conditions.
  func roundSeed(_ round: Int) -> UInt64 { command.preparation.seed &* 1000 &+ UInt64(round) }

  /// One supervised drive of `options.daggerLaps` laps with the model in `--output`.
  func drive(round: Int, track: Track, renderer: Renderer, recording: String?) throws -> DAggerRound {
    let (predictor, _) = try SequentialPredictor.load(
      path: command.training.output, isolated: command.isolated)
    // Each round's jitter, lighting and noise differ, and a run is reproducible from its seed.
    let seed = roundSeed(round)
    var driveOptions = DriveOptions()
    driveOptions.laps = Int(options.daggerLaps.rounded(.up))
    driveOptions.latency = latency
    driveOptions.seed = seed
    driveOptions.timeLimit = 300 * options.daggerLaps + 60
    if options.daggerConditions { driveOptions.conditions = .standard(seed: seed) }
    if let recording, FileManager.default.fileExists(atPath: recording) {
      // A round is redone whole: rows from an earlier attempt would be labelled by an older model's drive.
      try FileManager.default.removeItem(atPath: recording)
    }
    let writer = try recording.map { try RecordingWriter(directory: $0) }
    let expert = ExpertDriver(track: track, cruiseSpeedMph: options.daggerSpeed)
    let supervisor = DAggerSupervisor(
      expert: expert, renderer: renderer, writer: writer, startTime: 1_700_000_000 + Double(round) * 10_000)
    let session = DriveSession(track: track, renderer: renderer, options: driveOptions)
    session.supervisor = supervisor
    let limit = options.daggerLaps
    let controller = LapLimitedController(
      PredictorController(
        predictor: predictor, setSpeed: options.daggerSpeed,
        curveLimit: options.daggerCurveAccel.map(CurveSpeedLimit.init(lateralAcceleration:)))
    ) { supervisor.summary.laps >= limit }
    let evaluation = try session.run(controller, name: "dagger round \(round)")
    writer?.close()
    let s = supervisor.summary
    return DAggerRound(
      round: round, recorded: recording != nil, rows: s.rows, recoveryRows: s.recoveryRows, laps: s.laps,
      interventions: s.interventions, offroadEvents: evaluation.offroadEvents, meanCteM: evaluation.meanCteM,
      maxCteM: evaluation.maxCteM, recording: recording, validationLoss: nil)
  }

  /// Prepares the store for `data` and trains `--dagger-epochs` from the current model's weights
  /// and Adam state.
  func retrain(on data: [String]) throws -> Float? {
    var next = command
    next.data = data
    next.training.epochs = options.daggerEpochs
    next.training.resume = false
    let prepared = try Prepare(
      data: data, store: next.store, options: next.preparation, model: next.training.model,
      isolated: next.isolated
    ).run()
    if let dir = next.training.reportDir {
      try ReportFacts.write(
        data: data, store: prepared.path, reusedStore: prepared.reused,
        options: next.preparation.preparationOptions(for: next.training.model), model: next.training.model,
        to: dir)
    }
    var run = TrainingRun(command: next, world: world)
    run.startFrom = try KerasModelFile.load(
      path: command.training.output, options: KerasLoadOptions(loadOptimizer: true, threads: 1),
      isolated: command.isolated)
    return try run.train()?.bestLoss
  }

  func write(_ history: DAggerHistory) throws {
    let dir = command.training.reportDir ?? folder
    try history.jsonData().write(to: URL(fileURLWithPath: dir + "/dagger.json"))
    try Data(DAggerSection.chart(history).svg().utf8).write(to: URL(fileURLWithPath: dir + "/dagger.svg"))
  }

  func say(_ text: String) {
    print(text)
    fflush(nil)
  }
}

/// Ends a drive once `done()` says so (a round of a fraction of a lap).
final class LapLimitedController: SteeringController {
  let inner: any SteeringController
  let done: () -> Bool
  var wantsImages: Bool { inner.wantsImages }

  init(_ inner: any SteeringController, done: @escaping () -> Bool) {
    self.inner = inner
    self.done = done
  }

  func controls(after observation: Observation) throws -> Controls? {
    done() ? nil : try inner.controls(after: observation)
  }

  func finish() { inner.finish() }
}
