// `TrainNvidia`: recordings -> HDF5 sample store (prepared once, reused by fingerprint, resumed when
// interrupted) -> trained steering network -> model.h5, with a Keras-like log, keep-best and exact resume.
import ArgumentParser
import Cluster
import ConvNet
import DrivingData
import Foundation
import HDF5
import PipelineArguments
import SampleStore
import Simulator
import TensorCore

@main
struct TrainNvidia: ParsableCommand {
  static func main() {
    // A child reading a store or checkpoint for its parent (see IsolatedRead) does only that.
    if let status = IsolatedRead.serveIfChild(tasks: IsolatedRead.sampleStoreTasks) {
      Foundation.exit(status)
    }
    let world: MPIWorld
    do { world = try MPIWorld.start() } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      Foundation.exit(1)
    }
    guard world.size > 1 else {
      main(nil)  // one process (no mpirun, or -np 1): exactly as without MPI
      world.finalize()
      return
    }
    // One rank of several: an error on any rank must end the whole job (MPI_Abort), or its peers
    // would wait for it in the next collective.
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if exitCode(for: error) == .success {
        exit(withError: error)
      }
      world.abort(fullMessage(for: error))
    }
    world.finalize()
  }

  static let configuration = CommandConfiguration(
    abstract: "Prepare driving recordings into a sample store and train the NVIDIA-style steering network.",
    discussion: """
      Defaults are the seed project's: 128x128 images, crop 43 top / 12 bottom (a model layer),
      3 cameras with correction 0.1, each image also flipped (6 images per row), batch 32, Adam 1e-3.
      """)

  @Option(
    name: .customLong("data"), help: "A recording folder, CSV file, or folder of recordings (repeatable).")
  var data: [String] = []
  @Option(help: "Sample store (HDF5) to create, resume or reuse.") var store = "samples.h5"
  @Flag(help: "Only prepare the sample store; do not train.") var prepareOnly = false
  @Flag(help: "Read an existing store and checkpoint in this process, not a child (also BC_NO_ISOLATION=1).")
  var noIsolation = false
  var isolated: Bool { !noIsolation && IsolatedRead.enabledByEnvironment }
  @Flag(help: "Print the model's Keras-style summary (layers, output shapes, parameters) and exit.")
  var summary = false

  @OptionGroup(title: "Preparation") var preparation: PrepareOptions
  @OptionGroup(title: "Training") var training: TrainOptions
  @OptionGroup(title: "DAgger") var daggerOptions: DAggerOptions

  func validate() throws {
    if summary { return }
    if data.isEmpty { throw ValidationError("give at least one --data DIR") }
    let (w, h) = preparation.size(for: training.model)
    if training.model == .seed, (w, h) != (128, 128) {
      throw ValidationError("the seed model takes 128x128 images, not \(w)x\(h)")
    }
    if daggerOptions.dagger > 0 {
      if training.stopAfterEpoch != nil { throw ValidationError("--dagger cannot stop after an epoch") }
      do { _ = try daggerTrack() } catch { throw ValidationError("--dagger-track: \(error)") }
    }
    if training.model == .pilotnet, (w, h) != (200, 66) {
      throw ValidationError("the pilotnet model takes 200x66 images, not \(w)x\(h)")
    }
    let frame = InputPipeline.simulatorFrame
    do {
      try preparation.preparationOptions(for: training.model).inputPipeline()
        .check(frameWidth: frame.width, height: frame.height)
    } catch { throw ValidationError("--crop: \(error)") }
  }

  func daggerTrack() throws -> Track { try Track(named: daggerOptions.daggerTrack) }

  func run() throws {
    if summary {
      let model: Sequential
      switch training.model {
      case .seed: model = try Sequential.seedModel(threads: 1)
      case .pilotnet: model = try Sequential.pilotNet(threads: 1)
      }
      print(model.summary())
      return
    }
    let started = Date()
    let world = try MPIWorld.start()
    if daggerOptions.dagger > 0, world.size > 1 {
      throw ValidationError("--dagger drives in this process: run it without mpirun")
    }
    var prepare = Prepare(
      data: data, store: store, options: preparation, model: training.model, isolated: isolated)
    if world.size > 1 { prepare.cores = world.coresPerRank }
    // Under mpirun every rank prepares a shard; rank 0 joins them (ShardedPrepare).
    let prepared =
      world.size > 1 ? try ShardedPrepare(prepare: prepare, world: world).run() : try prepare.run()
    if let dir = training.reportDir, world.rank == 0 {
      try ReportFacts.write(
        data: data, store: prepared.path, reusedStore: prepared.reused,
        options: preparation.preparationOptions(for: training.model),
        model: training.model, to: dir)
    }
    guard !prepareOnly else { return }
    let history = try TrainingRun(command: self, world: world).train()
    if daggerOptions.dagger > 0 {
      try DAggerRun(command: self, world: world).run(firstLoss: history?.bestLoss)
    }
    guard world.rank == 0 else { return }
    print("done in \(Int(Date().timeIntervalSince(started).rounded()))s")
  }
}

/// Options of the preparation step (defaults are the seed's choices).
struct PrepareOptions: ParsableArguments {
  @Option(help: "Seed of the split, shuffle, augmentation, initialisation and dropout.") var seed: UInt64 = 1
  @Option(help: "Stored image width (default: the model's, 128 seed / 200 pilotnet).") var width: Int?
  @Option(help: "Stored image height (default: the model's, 128 seed / 66 pilotnet).") var height: Int?
  @Option(
    help: ArgumentHelp(
      "Source rows to crop before resizing (the seed crops 43,12 inside the model instead).",
      valueName: "TOP,BOTTOM"))
  var crop = RowCrop(top: 0, bottom: 0)
  @Option(help: "Colour space of the stored images and of the model's input: rgb, bgr or yuv.")
  var color = ColorSpace.rgb
  @Option(help: "Steering correction of the side cameras.") var correction: Float = 0.1
  @Flag(inversion: .prefixedNo, help: "Store mirrored images with negated steering.") var flip = true
  @Flag(help: "Centre camera only (no side cameras).") var centerOnly = false
  @Option(help: "Share of rows for validation.") var validationFraction: Float = 0.2
  @Flag(help: "Split whole recordings instead of rows.") var splitByRecording = false
  @Option(
    name: [.customLong("recurrent"), .customLong("temporal-window")],
    help: "Temporal samples: rows i-1..i-N relabelled with row i's steering (seed: 4; 0 off).")
  var temporalWindow = 0
  @Option(help: "Keep this share of near-zero-steering training rows (balancing; 1 keeps all).")
  var keepNearZero: Float = 1
  @Option(help: "|steering| at or below this is near zero.") var nearZero: Float = 0.01
  @Option(
    name: [.customLong("augment"), .customLong("augment-copies")],
    help: "Augmented copies per training sample (brightness, shadow, shift).")
  var augmentCopies = 0
  @Option(help: "Largest augmentation shift in output pixels.") var maxShift = 16
  @Option(help: "Steering per pixel of shift.") var steeringPerPixel: Float = 0.01
  @Option(help: "Augmented copies also rotate the hue, uniform in +-DEGREES (CSS hue-rotate; 0: off).")
  var hueJitter: Float = 0
  @Option(help: "Augmented copies also scale the saturation, uniform in 1 +- F (CSS saturate; 0: off).")
  var saturationJitter: Float = 0
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Option(help: "Images per HDF5 chunk of the store.") var chunkImages = 256
  @Option(help: "Steering histogram picture (SVG); default <store>.steering.svg.") var histogram: String?
  @Flag(help: "Rebuild the store even if it is current.") var force = false

  func validate() throws {
    guard hueJitter.isFinite, (0...180).contains(hueJitter) else {
      throw ValidationError("--hue-jitter: degrees in 0...180")
    }
    guard saturationJitter.isFinite, (0...1).contains(saturationJitter) else {
      throw ValidationError("--saturation-jitter: a fraction in 0...1")
    }
    if (hueJitter > 0 || saturationJitter > 0) && augmentCopies < 1 {
      throw ValidationError(
        "--hue-jitter and --saturation-jitter act on augmented copies: add --augment 1 or more")
    }
  }

  func size(for model: ModelKind) -> (Int, Int) {
    (width ?? model.inputSize.0, height ?? model.inputSize.1)
  }

  func preparationOptions(for model: ModelKind) -> PreparationOptions {
    var options = PreparationOptions()
    options.seed = seed
    (options.width, options.height) = size(for: model)
    (options.cropTop, options.cropBottom) = (crop.top, crop.bottom)
    options.colorSpace = color
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
    if hueJitter > 0 || saturationJitter > 0 {
      options.augmentation.colorJitter = ColorJitterOptions(
        hueDegrees: hueJitter, saturationMin: 1 - saturationJitter, saturationMax: 1 + saturationJitter)
    }
    return options
  }
}

/// Options of the training step.
struct TrainOptions: ParsableArguments {
  @Option(help: "Network: seed (128x128 input, cropped in the model) or pilotnet (200x66 input).")
  var model: ModelKind = .seed
  @Option(help: "Epochs (at most; early stopping may end sooner).") var epochs = 10
  @Option(help: "Batch size.") var batchSize = 32
  @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
  @Option(help: "Dropout rate of the network.") var dropout: Float = 0.5
  @Option(
    help:
      "Arithmetic of convolutions and dense layers: fp32, or bf16 (bfloat16 operands, FP32 sums and weights; needs AVX-512 BF16)."
  )
  var precision: Precision = .fp32
  @Option(help: "Epochs without a better validation loss before stopping (0 = never).") var patience = 4
  @Option(help: "Model file (Keras HDF5) written at every new best epoch and at the end.") var output =
    "model.h5"
  @Option(help: "Checkpoint written after every epoch (default: <output>.checkpoint.h5).") var checkpoint:
    String?
  @Option(
    help: "Folder for the report's dataset and training facts (histograms, samples, history, feature maps).")
  var reportDir: String?
  @Flag(
    help:
      "Continue an interrupted run from its checkpoint (same data and options); ends as the uninterrupted run would."
  )
  var resume = false
  @Option(help: .hidden) var stopAfterEpoch: Int?
  @Option(help: "Under mpirun: seconds a rank waits for the others in one exchange before ending the job.")
  var mpiTimeout: Double = 600
  @Flag(
    inversion: .prefixedNo,
    help: "Under mpirun: sum gradient buckets while backward goes on (--no-overlap: one sum after it).")
  var overlap = true

  func validate() throws {
    guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
    guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
    guard patience >= 0 else { throw ValidationError("--patience must be >= 0") }
    if precision == .bf16, !BF16.isAvailable {
      throw ValidationError("--precision bf16: \(BF16.unavailableReason); use --precision fp32")
    }
    guard mpiTimeout > 0 else { throw ValidationError("--mpi-timeout must be positive") }
  }
}

extension Precision: ExpressibleByArgument {}

enum ModelKind: String, ExpressibleByArgument, CaseIterable, Codable {
  case seed, pilotnet

  /// Stored image size (width, height).
  var inputSize: (Int, Int) { self == .seed ? (128, 128) : (200, 66) }
}
