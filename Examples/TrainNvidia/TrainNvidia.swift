// `TrainNvidia`: recordings -> HDF5 sample store (prepared once, reused by fingerprint) ->
// trained steering network -> model.h5, with a Keras-like log, keep-best and exact resume.
import ArgumentParser
import ConvNet
import DrivingData
import Foundation

struct TrainNvidia: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the steering network on driving_log.csv recordings.",
    discussion: """
      Defaults are the seed project's: 128x128 images, crop 43 top / 12 bottom (a model layer),
      3 cameras with correction 0.1, each image also flipped (6 images per row), batch 32, Adam 1e-3.
      """)

  @Option(help: "Recording folder (or driving_log.csv); repeat for several. Searched recursively.")
  var data: [String] = []

  @Option(help: "HDF5 sample store: reused when its fingerprint matches the data and options, resumed when interrupted.")
  var store = "samples.h5"

  @Option(help: "Epochs (at most; early stopping may end sooner).")
  var epochs = 10

  @Option(help: "Batch size.")
  var batchSize = 32

  @Option(help: "Adam learning rate.")
  var learningRate: Float = 1e-3

  @Option(help: "Steering correction of the side cameras.")
  var correction: Float = 0.1

  @Option(help: "Temporal samples: rows i-1..i-N of the same recording again with row i's steering (0 = off).")
  var recurrent = 4

  @Option(help: "Augmented copies of each training image (brightness, shadow, shift).")
  var augment = 0

  @Option(help: "Share of near-zero-steering training rows kept (balancing).")
  var keepNearZero: Float = 1

  @Option(help: "Share of rows held out for validation.")
  var validationFraction: Float = 0.2

  @Option(help: "Network: seed (128x128 input, cropped in the model) or pilotnet (200x66 input).")
  var model: ModelKind = .seed

  @Option(help: "Dropout rate of the network.")
  var dropout: Float = 0.5

  @Option(help: "Epochs without a better validation loss before stopping (0 = never).")
  var patience = 4

  @Option(help: "Model file (Keras HDF5) written at every new best epoch and at the end.")
  var output = "model.h5"

  @Option(help: "Checkpoint written after every epoch (default: OUTPUT.checkpoint.h5).")
  var checkpoint: String?

  @Option(help: "Folder for the dataset and training facts the report shows (histograms, history).")
  var reportDir: String?

  @Option(help: "Seed of the split, augmentation, initialisation, dropout and shuffling.")
  var seed: UInt64 = 1

  @Option(help: "Worker threads (default: all cores).")
  var threads: Int?

  @Flag(help: "Continue from the checkpoint of an interrupted run (same data and options): ends as the uninterrupted run would.")
  var resume = false

  @Flag(help: "Prepare the sample store and stop.")
  var prepareOnly = false

  @Option(help: .hidden)
  var stopAfterEpoch: Int?

  func validate() throws {
    guard !data.isEmpty || FileManager.default.fileExists(atPath: store) else {
      throw ValidationError("give --data DIR (or an existing --store)")
    }
    guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
    guard recurrent >= 0, augment >= 0 else { throw ValidationError("--recurrent and --augment must be >= 0") }
    guard (0...1).contains(keepNearZero) else { throw ValidationError("--keep-near-zero must be in [0, 1]") }
    guard validationFraction >= 0, validationFraction < 1 else {
      throw ValidationError("--validation-fraction must be in [0, 1)")
    }
    guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
    if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
  }

  var preparationOptions: PreparationOptions {
    var o = PreparationOptions()
    (o.width, o.height) = model.inputSize
    o.plan.correction = correction
    o.plan.temporalWindow = recurrent
    o.plan.validationFraction = validationFraction
    o.plan.keepNearZero = keepNearZero
    o.augmentation.copies = augment
    o.seed = seed
    return o
  }

  func run() throws {
    let started = Date()
    let prepared = try StorePreparation.prepareOrReuse(
      data: data, store: store, options: preparationOptions, threads: threads ?? availableCoreCount)
    if let dir = reportDir { try prepared.writeReportFacts(to: dir, model: model) }
    if prepareOnly {
      print("prepared \(store) in \(Int(Date().timeIntervalSince(started)))s")
      return
    }
    let run = TrainingRun(command: self, prepared: prepared)
    try run.train()
    print("done in \(Int(Date().timeIntervalSince(started).rounded()))s")
  }
}

enum ModelKind: String, ExpressibleByArgument, CaseIterable, Codable {
  case seed, pilotnet

  /// Stored image size (width, height).
  var inputSize: (Int, Int) { self == .seed ? (128, 128) : (200, 66) }
}

var availableCoreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
