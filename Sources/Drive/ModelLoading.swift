import ConvNet
import DrivingData
import ModelFile

/// `Drive model.h5`: the model file -> a predictor. The pipeline stored in the file wins unless the
/// command line states one (`--resize 128x128 --crop 60,25 --normalize x/127.5-1 --color yuv`),
/// which Keras-trained files without a stored pipeline need, as in `Predict`.
public enum ModelLoading {
  /// The simulator's front camera frame.
  public static let cameraWidth = 320
  public static let cameraHeight = 160

  /// Parses the command-line forms into Keras load options (inference only: no optimizer state).
  public static func options(
    resize: String?, crop: String?, normalize: String?, color: String?, threads: Int = 1
  ) throws -> KerasLoadOptions {
    var options = KerasLoadOptions(loadOptimizer: false, threads: threads)
    if let resize {
      let parts = resize.lowercased().split(separator: "x")
      guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
        throw DriveError.invalidOption("--resize \(resize): expected WIDTHxHEIGHT, e.g. 128x128")
      }
      options.resizeWidth = w
      options.resizeHeight = h
    }
    if let crop {
      let parts = crop.split(separator: ",", omittingEmptySubsequences: false)
      guard parts.count == 2, let t = Int(parts[0]), let b = Int(parts[1]), t >= 0, b >= 0 else {
        throw DriveError.invalidOption("--crop \(crop): expected TOP,BOTTOM source rows, e.g. 60,25")
      }
      options.cropTop = t
      options.cropBottom = b
    }
    if let normalize {
      do { options.normalization = try Normalization(parsing: normalize) } catch {
        throw DriveError.invalidOption("--normalize \(normalize): \(error) (e.g. x/127.5-1)")
      }
    }
    if let color {
      guard let space = ColorSpace(rawValue: color.lowercased()) else {
        throw DriveError.invalidOption("--color \(color): expected rgb, bgr or yuv")
      }
      options.colorSpace = space
    }
    return options
  }

  /// Loads `path` and wraps it for driving. Errors name the file and what was wrong.
  public static func predictor(path: String, options: KerasLoadOptions, isolated: Bool = false) throws -> (
    SequentialPredictor, LoadedKerasModel
  ) {
    let loaded: LoadedKerasModel
    do { loaded = try KerasModelFile.load(path: path, options: options, isolated: isolated) } catch {
      throw DriveError.modelUnavailable("\(path): \(error)")
    }
    // Fail now, not on every frame, if the simulator's frame cannot become the model's input.
    let pipeline = loaded.pipeline
    do {
      try pipeline.check(
        frameWidth: pipeline.sourceWidth ?? cameraWidth, height: pipeline.sourceHeight ?? cameraHeight)
    } catch {
      throw DriveError.invalidOption("\(path): \(error)")
    }
    return (try SequentialPredictor(loaded: loaded), loaded)
  }
}
