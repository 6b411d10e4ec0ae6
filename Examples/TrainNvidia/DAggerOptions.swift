import ArgumentParser

/// Options of DAgger rounds after the first training (`--dagger K`).
struct DAggerOptions: ParsableArguments {
  @Option(
    help:
      "DAgger rounds after training: the model drives, the expert labels every frame it sees (taking the wheel only to prevent an off-road event), the rows are added, training continues."
  )
  var dagger = 0
  @Option(help: "DAgger: track the rounds drive (built-in name or track JSON).") var daggerTrack = "lake"
  @Option(help: "DAgger: laps each round drives and records (fractions allowed; the data budget's unit).")
  var daggerLaps = 1.0
  @Option(help: "DAgger: speed the model drives at (mph, the PI controller's target).") var daggerSpeed = 30.0
  @Option(help: "DAgger: slow for curves as `Drive --curve-accel` does (lateral acceleration, m/s^2).")
  var daggerCurveAccel: Double?
  @Option(help: "DAgger: latency (ms) between a frame and its command taking effect, in simulated time.")
  var daggerLatencyMs = 150.0
  @Option(help: "DAgger: uniform jitter (+- ms) of that latency.") var daggerJitterMs = 30.0
  @Flag(
    inversion: .prefixedNo,
    help: "DAgger: drive under the test-time conditions (lighting, shadows, actuator noise, pitch jitter).")
  var daggerConditions = true
  @Option(help: "DAgger: epochs of training after each round (from the current weights).") var daggerEpochs =
    2
  @Option(help: "DAgger: folder for the rounds' recordings (default: <output>.dagger next to the model).")
  var daggerDir: String?

  func validate() throws {
    guard dagger >= 0 else { throw ValidationError("--dagger must be >= 0") }
    guard daggerLaps > 0, daggerLaps <= 100 else {
      throw ValidationError("--dagger-laps must be in (0, 100]")
    }
    guard daggerSpeed > 0, daggerSpeed <= 30 else {
      throw ValidationError("--dagger-speed must be in (0, 30] mph")
    }
    guard daggerLatencyMs >= 0, daggerJitterMs >= 0, daggerJitterMs <= daggerLatencyMs else {
      throw ValidationError(
        "--dagger-latency-ms and --dagger-jitter-ms must be >= 0, jitter at most the latency")
    }
    if let daggerCurveAccel, !(daggerCurveAccel.isFinite && daggerCurveAccel > 0) {
      throw ValidationError("--dagger-curve-accel: a lateral acceleration in m/s^2, above 0")
    }
    guard daggerEpochs >= 1 else { throw ValidationError("--dagger-epochs must be at least 1") }
  }
}
