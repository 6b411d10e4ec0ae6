// The geometry of a 2-D convolution or pooling window over NHWC images, with TensorFlow/Keras
// padding rules: valid keeps only full windows; same gives ceil(in / stride) outputs and puts the
// odd padding pixel at the bottom/right.

public enum Padding: String, Sendable, Codable, CaseIterable {
  case valid, same
}

public struct ConvGeometry: Sendable, Equatable {
  public let inputHeight: Int
  public let inputWidth: Int
  public let channels: Int
  public let kernelHeight: Int
  public let kernelWidth: Int
  public let strideY: Int
  public let strideX: Int
  public let padding: Padding
  public let outputHeight: Int
  public let outputWidth: Int
  public let padTop: Int
  public let padLeft: Int

  /// Scalars in one im2col row: kernelHeight * kernelWidth * channels, ordered (ky, kx, c) to match
  /// an HWIO kernel flattened to (kh * kw * C, OC).
  public var patchSize: Int { kernelHeight * kernelWidth * channels }
  /// im2col rows per image.
  public var outputPixels: Int { outputHeight * outputWidth }
  public var inputImageSize: Int { inputHeight * inputWidth * channels }

  public init(
    inputHeight: Int, inputWidth: Int, channels: Int, kernelHeight: Int, kernelWidth: Int,
    strideY: Int = 1, strideX: Int = 1, padding: Padding = .valid
  ) throws(TensorError) {
    guard inputHeight > 0, inputWidth > 0, channels > 0, kernelHeight > 0, kernelWidth > 0,
      strideY > 0, strideX > 0
    else {
      throw .invalidArgument(
        "convolution needs positive sizes: input \(inputHeight)x\(inputWidth)x\(channels), "
          + "kernel \(kernelHeight)x\(kernelWidth), stride \(strideY)x\(strideX)")
    }
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.channels = channels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideY = strideY
    self.strideX = strideX
    self.padding = padding
    switch padding {
    case .valid:
      guard inputHeight >= kernelHeight, inputWidth >= kernelWidth else {
        throw .shapeMismatch(
          "input \(inputHeight)x\(inputWidth) is smaller than kernel \(kernelHeight)x\(kernelWidth)")
      }
      outputHeight = (inputHeight - kernelHeight) / strideY + 1
      outputWidth = (inputWidth - kernelWidth) / strideX + 1
      padTop = 0
      padLeft = 0
    case .same:
      outputHeight = (inputHeight + strideY - 1) / strideY
      outputWidth = (inputWidth + strideX - 1) / strideX
      padTop = max((outputHeight - 1) * strideY + kernelHeight - inputHeight, 0) / 2
      padLeft = max((outputWidth - 1) * strideX + kernelWidth - inputWidth, 0) / 2
    }
  }
}
