// `Report --saliency-model model.h5 --frames DIR`: the saliency pictures of the report, made with
// the model through its stored input pipeline (ModelFile's `SequentialPredictor`).
import DrivingData
import Foundation
import ModelFile
import Report

enum SaliencyFigures {
  /// Writes saliency/*.png and saliency.json into `folder`, for `samples` frames of `frames` and
  /// the frames before each off-road event that `folder`/drive.json records.
  static func write(model: String, frames: String, samples: Int, folder: String) throws {
    var (predictor, _) = try SequentialPredictor.load(path: model)
    let evaluation = try? DriveEvaluation(contentsOf: folder + "/drive.json")
    let listing = try SaliencyPictures.write(
      predictor: &predictor, framesFolder: frames, evaluation: evaluation, samples: samples,
      modelName: (model as NSString).lastPathComponent, to: folder)
    print(
      "saliency: \(listing.samples.count) sample frames, \(listing.offroad.count) frames before "
        + "\(listing.offroadEventsShown) of \(listing.offroadEvents) off-road events")
  }
}
