// Pictures for report/: training images per camera with their augmentations, the crop, and the
// feature maps of the first convolutions for one image (as the seed's writeup shows).
import ConvNet
import DrivingData
import Foundation
import Report
import TensorCore

enum ReportFigures {
  /// A row with a clear turn (90th percentile of |steering|) of the first recording.
  static func exampleRow(_ preparation: DataPreparation) -> (recording: Recording, row: DrivingLogRow)? {
    guard let recording = preparation.recordings.first(where: { !$0.rows.isEmpty }) else { return nil }
    let sorted = recording.rows.sorted { abs($0.steering) < abs($1.steering) }
    return (recording, sorted[min(sorted.count - 1, sorted.count * 9 / 10)])
  }

  /// Loads one camera's frame of `row`, cropped and resized as the preparation does (still RGB, to
  /// show), or with `networkInput` also in the pipeline's colour space (what the network takes).
  static func frame(
    _ row: DrivingLogRow, _ camera: Camera, recording: Recording, preparation: DataPreparation,
    networkInput: Bool = false
  ) throws -> RGBImage {
    let folder = (recording.csvPath as NSString).deletingLastPathComponent
    guard let path = RecordingReader.resolve(row.path(camera), folder: folder) else {
      throw ValidationErrorText("cannot find \(row.path(camera)) of \(recording.csvPath)")
    }
    let decoded = try JPEGDecoder(fancyUpsampling: preparation.options.fancyUpsampling).decode(
      contentsOf: path)
    var preparer = FramePreparer(pipeline: preparation.options.inputPipeline())
    return networkInput ? try preparer.prepare(decoded) : try preparer.resize(decoded)
  }

  /// samples/*.png, samples.json (file and caption per picture) and crop.png.
  static func writeDatasetFigures(_ preparation: DataPreparation, model: ModelKind, to dir: String) throws {
    guard let (recording, row) = exampleRow(preparation) else { return }
    try FileManager.default.createDirectory(atPath: dir + "/samples", withIntermediateDirectories: true)
    let plan = preparation.options.plan
    let png = PNGCodec()
    var items: [[String: String]] = []
    for camera in [Camera.left, .center, .right] {
      let image = try frame(row, camera, recording: recording, preparation: preparation)
      let steering = plan.steering(row.steering, seenBy: camera)
      var shadow = Augmentation()
      (shadow.shadowTop, shadow.shadowBottom, shadow.shadowFactor) = (0.2, 0.6, 0.5)
      var bright = Augmentation()
      bright.brightness = 0.55
      var shifted = Augmentation()
      shifted.shift = 12
      var variants: [(String, RGBImage, Float)] = [
        ("as recorded", image, steering),
        ("flipped", image.flippedHorizontally(), -steering),
        ("darker x0.55", apply(bright, image), steering),
        ("shadow", apply(shadow, image), steering),
        (
          "shifted 12 px", apply(shifted, image),
          shifted.steering(steering, perPixel: preparation.options.augmentation.steeringPerPixel)
        ),
      ]
      if let jitter = preparation.options.augmentation.colorJitter {
        // Half the hue range and the least saturation: a typical strong draw.
        var colored = Augmentation()
        (colored.hueDegrees, colored.saturation) = (jitter.hueDegrees / 2, max(0, jitter.saturationMin))
        let text =
          "hue \(String(format: "%+.0f", colored.hueDegrees)) deg, saturation x\(String(format: "%.2f", colored.saturation))"
        variants.append((text, apply(colored, image), steering))
      }
      for (i, v) in variants.enumerated() {
        let file = "samples/\(camera)-\(i).png"
        try png.write(try ReportPictures.zoom(v.1, by: 2), to: dir + "/" + file)
        items.append([
          "file": file, "caption": "\(camera) camera, \(v.0), steering \(String(format: "%+.3f", v.2))",
        ])
      }
    }
    try JSONEncoder.sorted.encode(items).write(to: URL(fileURLWithPath: dir + "/samples.json"))
    if model == .seed {
      let center = try frame(row, .center, recording: recording, preparation: preparation)
      let crop = Sequential.seedCropRows
      try png.write(
        try ReportPictures.zoom(
          ReportPictures.cropOverlay(center, top: crop.top, bottom: crop.bottom), by: 3),
        to: dir + "/crop.png")
    }
  }

  static func apply(_ augmentation: Augmentation, _ image: RGBImage) -> RGBImage {
    var out = image
    augmentation.apply(to: &out)
    return out
  }

  /// featuremaps-<layer>.png for the first three convolutions, for the example centre frame.
  static func writeFeatureMaps(
    model: Sequential, preparation: DataPreparation, kind: ModelKind, to dir: String
  ) throws {
    guard let (recording, row) = exampleRow(preparation) else { return }
    let image = try frame(row, .center, recording: recording, preparation: preparation, networkInput: true)
    try PNGCodec().write(try ReportPictures.zoom(image, by: 2), to: dir + "/featuremaps-input.png")
    var x = try Tensor(shape: [1] + model.inputShape, scalars: image.pixels.map { Float($0) })
    var written: [[String: String]] = []
    for layer in model.layers {
      x = try layer.forward(x, mode: .inference)
      guard layer is Conv2D else { continue }
      let maps = try x.reshaped(Array(x.shape.dropFirst()))
      let file = "featuremaps-\(layer.name).png"
      try PNGCodec().write(
        try ReportPictures.featureMapMosaic(maps, columns: 8, zoom: maps.shape[0] < 10 ? 8 : 3),
        to: dir + "/" + file)
      written.append([
        "file": file, "caption": "\(layer.name): \(maps.shape[2]) maps of \(maps.shape[1])x\(maps.shape[0])",
      ])
      if written.count == 3 { break }
    }
    try JSONEncoder.sorted.encode(written).write(to: URL(fileURLWithPath: dir + "/featuremaps.json"))
  }
}
