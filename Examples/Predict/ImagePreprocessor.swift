// Applies an InputPipeline to an image file: decode (JPEG or PNG, by content) -> crop rows ->
// OpenCV-style bilinear resize -> colour space. The result must be the model's input size.
import ConvNet
import DrivingData
import Foundation

struct PipelineError: Error, CustomStringConvertible {
  let description: String
}

final class ImagePreprocessor {
  let pipeline: InputPipeline
  private let jpeg = JPEGDecoder()
  private let png = PNGCodec()

  init(pipeline: InputPipeline) { self.pipeline = pipeline }

  func decode(path: String) throws -> RGBImage {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PipelineError(description: "cannot read the file")
    }
    let bytes = [UInt8](data)
    if bytes.starts(with: [0xFF, 0xD8]) { return try jpeg.decode(bytes) }
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try png.decode(bytes, path: path) }
    throw PipelineError(description: "not a JPEG or PNG image")
  }

  func prepare(path: String) throws -> RGBImage {
    try prepare(try decode(path: path))
  }

  // image: (H, W, 3) -> (modelH, modelW, 3)
  func prepare(_ source: RGBImage) throws -> RGBImage {
    do { try pipeline.check(frameWidth: source.width, height: source.height) } catch {
      throw PipelineError(description: "\(error)")
    }
    var image = source
    if pipeline.cropTop > 0 || pipeline.cropBottom > 0 {
      image = try image.cropped(top: pipeline.cropTop, bottom: pipeline.cropBottom)
    }
    if let w = pipeline.resizeWidth, let h = pipeline.resizeHeight, (w, h) != (image.width, image.height) {
      image = try image.resizedBilinear(width: w, height: h)
    }
    switch pipeline.colorSpace {
    case .rgb: break
    case .yuv: image = image.rgbToYUV()
    case .bgr:
      for i in stride(from: 0, to: image.pixels.count, by: 3) { image.pixels.swapAt(i, i + 2) }
    }
    return image
  }
}
