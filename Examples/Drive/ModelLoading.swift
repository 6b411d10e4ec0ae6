import ConvNet
import Drive

/// The one call that turns `model.h5` into a predictor. `pipeline` is what the command line
/// stated (`--resize/--crop/--normalize`); nil means "use the pipeline stored with the model", and
/// for a Keras file without one, the seed's (resize 128x128; crop and scaling are model layers).
///
/// NOT WIRED YET: the Keras model.h5 loader (ConvNet + H5Store) is another issue. When it lands:
///   let model = try KerasModel.load(path)            // ConvNet
///   let stages = pipeline ?? model.inputPipeline ?? .seed
///   return PipelinePredictor(pipeline: stages) { input, h, w in try model.predict(...) }
func loadSteeringModel(path: String, pipeline: InputPipeline?) throws -> any SteeringPredictor {
  throw DriveError.modelUnavailable(
    "loading Keras model.h5 files is not available in this build yet (\(path)); "
      + "the server, protocol and frame saving are ready and wait only for the model loader")
}
