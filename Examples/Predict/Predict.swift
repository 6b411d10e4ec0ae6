// Predict: steering for images with a model.h5 (ours or Keras's). One line per image,
// `<path>\t<steering>`; a bad image gets `<path>\terror: <why>` and the exit status is 1 at the end.
import ArgumentParser
import ConvNet
import Drive
import DrivingData
import Foundation
import HDF5
import ModelFile

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

  @Option(help: "Resize every image to WIDTHxHEIGHT (OpenCV INTER_LINEAR) before the model.")
  var resize: String?

  @Option(help: "Remove TOP,BOTTOM rows from each image before resizing.")
  var crop: String?

  @Option(help: "Normalization a Lambda layer performs (or to add), e.g. x/127.5-1 or x/255-0.5.")
  var normalize: String?

  @Option(help: "Colour space the model was trained on: rgb, bgr or yuv.")
  var color: String?

  @Flag(help: "Print the model summary, pipeline and loader notes to standard error first.")
  var verbose = false

  @Flag(help: "Read the model file in this process rather than a child (also BC_NO_ISOLATION=1).")
  var noIsolation = false

  func options() throws -> KerasLoadOptions {
    // The same parsing as `Drive`, so both commands accept exactly the same pipeline options.
    do {
      return try ModelLoading.options(resize: resize, crop: crop, normalize: normalize, color: color)
    } catch { throw ValidationError("\(error)") }
  }

  func run() throws {
    let loaded: LoadedKerasModel
    do {
      loaded = try KerasModelFile.load(
        path: model, options: try options(), isolated: !noIsolation && IsolatedRead.enabledByEnvironment)
    } catch let error as ModelFileError {
      FileHandle.standardError.write(Data("Predict: \(error)\n".utf8))
      throw ExitCode(1)
    }
    loaded.model.threads = 1
    if verbose {
      var text = loaded.model.summary() + "\npipeline: \(loaded.pipeline.summary)\n"
      for note in loaded.notes { text += "note: \(note)\n" }
      FileHandle.standardError.write(Data(text.utf8))
    }
    let preprocessor = ImagePreprocessor(pipeline: loaded.pipeline)
    var failures = 0
    for path in images {
      do {
        let image = try preprocessor.prepare(path: path)
        let steering = try image.pixels.withUnsafeBufferPointer { try loaded.model.predict(image: $0) }
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
