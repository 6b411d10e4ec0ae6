import ArgumentParser
import DrivingData

/// `TrainNvidia`: prepares recordings into a sample store and trains the steering network.
/// The preparation step (`--prepare-only`) is implemented; training options are added beside these.
@main
struct TrainNvidia: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Prepare driving recordings into a sample store and train the NVIDIA-style steering network.")

  @Option(
    name: .customLong("data"), help: "A recording folder, CSV file, or folder of recordings (repeatable).")
  var data: [String] = []
  @Option(help: "Sample store (HDF5) to create, resume or reuse.") var store: String
  @Flag(help: "Only prepare the sample store; do not train.") var prepareOnly = false

  @OptionGroup(title: "Preparation") var preparation: PrepareOptions

  func validate() throws {
    if data.isEmpty { throw ValidationError("give at least one --data DIR") }
  }

  func run() throws {
    let prepared = try Prepare(data: data, store: store, options: preparation).run()
    guard prepareOnly else {
      // The trainer lives in ConvNet; until it is wired here, say so instead of pretending.
      throw ValidationError(
        "training is not wired into TrainNvidia yet; the store \(prepared) is ready (use --prepare-only)")
    }
  }
}

/// Options of the preparation step (defaults are the seed's choices).
struct PrepareOptions: ParsableArguments {
  @Option(help: "Seed of the split, shuffle and augmentation.") var seed: UInt64 = 1
  @Option(help: "Stored image width.") var width = 128
  @Option(help: "Stored image height.") var height = 128
  @Option(help: "Steering correction of the side cameras.") var correction: Float = 0.1
  @Flag(inversion: .prefixedNo, help: "Store mirrored images with negated steering.") var flip = true
  @Flag(help: "Centre camera only (no side cameras).") var centerOnly = false
  @Option(help: "Share of rows for validation.") var validationFraction: Float = 0.2
  @Flag(help: "Split whole recordings instead of rows.") var splitByRecording = false
  @Option(help: "Temporal samples: rows i-1..i-N relabelled with row i's steering (seed: 4; 0 off).")
  var temporalWindow = 0
  @Option(help: "Keep this share of near-zero-steering training rows (balancing; 1 keeps all).")
  var keepNearZero: Float = 1
  @Option(help: "|steering| at or below this is near zero.") var nearZero: Float = 0.01
  @Option(help: "Augmented copies per training sample (brightness, shadow, shift).") var augmentCopies = 0
  @Option(help: "Largest augmentation shift in output pixels.") var maxShift = 16
  @Option(help: "Steering per pixel of shift.") var steeringPerPixel: Float = 0.01
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Option(help: "Images per HDF5 chunk of the store.") var chunkImages = 256
  @Option(help: "Steering histogram picture (SVG); default <store>.steering.svg.") var histogram: String?
  @Flag(help: "Rebuild the store even if it is current.") var force = false

  var preparationOptions: PreparationOptions {
    var options = PreparationOptions()
    options.seed = seed
    options.width = width
    options.height = height
    options.plan.correction = correction
    options.plan.flip = flip
    options.plan.cameras = centerOnly ? [.center] : [.center, .left, .right]
    options.plan.validationFraction = validationFraction
    options.plan.splitByRecording = splitByRecording
    options.plan.temporalWindow = temporalWindow
    options.plan.keepNearZero = keepNearZero
    options.plan.nearZero = nearZero
    options.augmentation.copies = augmentCopies
    options.augmentation.maxShift = maxShift
    options.augmentation.steeringPerPixel = steeringPerPixel
    return options
  }
}
