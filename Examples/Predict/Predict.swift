// Predict: steering for images with a model.h5 (ours or Keras's). One line per image,
// `<path>\t<steering>`; a bad image gets `<path>\terror: <why>` and the exit status is 1 at the end.
import ArgumentParser
import DrivingData
import Foundation
import HDF5
import ModelFile
import PipelineArguments

@main
struct Predict: ParsableCommand {
  static func main() {
    // A child reading the model file for its parent (see IsolatedRead) does only that.
    if let status = IsolatedRead.serveIfChild() { Foundation.exit(status) }
    main(nil)
  }

  static let configuration = CommandConfiguration(
    abstract: "Predict steering angles for images with a Keras model.h5.",
    discussion: """
      The model's stored input pipeline (files written by this project) is applied to each image. For
      models trained in Keras, state the pipeline: --resize 128x128 --crop 60,20 --normalize x/127.5-1.
      A Lambda layer is never executed: its normalization is recognised from its bytecode or taken
      from --normalize.
      """)

  @Argument(help: "Model file (Keras legacy HDF5).")
  var model: String

  @Argument(help: "JPEG or PNG images.")
  var images: [String]

  @OptionGroup(title: "Input pipeline (for a model file without a stored one, or to override it)")
  var pipelineOptions: PipelineOptions

  @Option(
    help: ArgumentHelp(
      "Also write each image with its VisualBackProp saliency overlaid as a heat map, as <dir>/<name>.saliency.png.",
      valueName: "dir"))
  var saliency: String?

  @Flag(help: "Print the model summary, pipeline and loader notes to standard error first.")
  var verbose = false

  @Flag(help: "Read the model file in this process rather than a child (also BC_NO_ISOLATION=1).")
  var noIsolation = false

  func run() throws {
    var predictor: SequentialPredictor
    let loaded: LoadedKerasModel
    do {
      (predictor, loaded) = try SequentialPredictor.load(
        path: model, options: pipelineOptions.loadOptions(),
        isolated: !noIsolation && IsolatedRead.enabledByEnvironment)
    } catch {
      FileHandle.standardError.write(Data("Predict: \(error)\n".utf8))
      throw ExitCode(1)
    }
    if verbose {
      var text = loaded.model.summary() + "\npipeline: \(loaded.pipeline.summary)\n"
      for note in loaded.notes { text += "note: \(note)\n" }
      FileHandle.standardError.write(Data(text.utf8))
    }
    if let saliency {
      do {
        try FileManager.default.createDirectory(atPath: saliency, withIntermediateDirectories: true)
      } catch {
        FileHandle.standardError.write(Data("Predict: cannot create \(saliency): \(error)\n".utf8))
        throw ExitCode(1)
      }
    }
    var failures = 0
    for path in images {
      do {
        let image = try RGBImage(contentsOfFile: path)
        let steering: Float
        if let saliency {
          let mask: SaliencyFrame
          (steering, mask) = try predictor.steeringAndSaliency(for: image)
          let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
          try PNGCodec().write(
            try mask.overlay(on: image),
            to: URL(fileURLWithPath: saliency).appendingPathComponent(
              "\(name).saliency.png"
            ).path)
        } else {
          steering = try predictor.steering(for: image)
        }
        print("\(path)\t\(String(format: "%.6f", steering))")
      } catch {
        failures += 1
        print("\(path)\terror: \(error)")
      }
    }
    if failures > 0 {
      FileHandle.standardError.write(Data("Predict: \(failures) of \(images.count) images failed\n".utf8))
      throw ExitCode(1)
    }
  }
}
