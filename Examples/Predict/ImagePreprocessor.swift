// Applies an InputPipeline to an image file: decode (JPEG or PNG, by content), then Drive's
// FramePreparer (crop rows -> OpenCV-style bilinear resize -> colour space).
import ConvNet
import Drive
import DrivingData
import Foundation

struct PipelineError: Error, CustomStringConvertible {
  let description: String
}

final class ImagePreprocessor {
  let pipeline: InputPipeline
  private let jpeg = JPEGDecoder()
  private let png = PNGCodec()
  private var preparer: FramePreparer

  init(pipeline: InputPipeline) {
    self.pipeline = pipeline
    self.preparer = FramePreparer(pipeline: pipeline)
  }

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

  // image: (H, W, 3) -> (modelH, modelW, 3), through Drive's FramePreparer so `Predict` and `Drive`
  // feed the network identical bytes for the same frame.
  func prepare(_ source: RGBImage) throws -> RGBImage {
    try preparer.prepare(source)
  }
}
