// Ready-made networks: the seed project's model and NVIDIA's PilotNet (Bojarski et al. 2016).
import TensorCore

extension Sequential {
  /// Rows the seed's model crops from its 128x128 input, top and bottom (sky and bonnet).
  public static let seedCropRows = (top: 43, bottom: 12)

  /// The seed's model: uint8 (128, 128, 3) -> crop 43 top / 12 bottom -> x / 127.5 - 1 ->
  /// 5 ELU convolutions -> Dropout -> Flatten (1152) -> Dense 100/50/10 ELU -> Dense 1. 252,219 params.
  public static func seedModel(seed: UInt64 = 0, dropout: Float = 0.5, threads: Int = availableCores)
    throws(ConvNetError) -> Sequential
  {
    try Sequential(
      inputShape: [128, 128, 3],
      layers: [
        Cropping2D(rows: seedCropRows, columns: (0, 0)),
        Rescaling(scale: 1 / 127.5, offset: -1),
      ] + pilotNetCore(dropout: dropout, seed: seed),
      seed: seed, threads: threads)
  }

  /// NVIDIA's PilotNet on (66, 200, 3) uint8 input: normalization then the same 5 conv + 4 dense
  /// layers (ELU here, as the seed used), 252,219 params.
  public static func pilotNet(seed: UInt64 = 0, dropout: Float = 0.5, threads: Int = availableCores)
    throws(ConvNetError) -> Sequential
  {
    try Sequential(
      inputShape: [66, 200, 3],
      layers: [Rescaling(scale: 1 / 127.5, offset: -1)] + pilotNetCore(dropout: dropout, seed: seed),
      seed: seed, threads: threads)
  }

  private static func pilotNetCore(dropout: Float, seed: UInt64) -> [any Layer] {
    var layers: [any Layer] = [
      Conv2D(inputChannels: 3, outputChannels: 24, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
      Conv2D(inputChannels: 24, outputChannels: 36, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
      Conv2D(inputChannels: 36, outputChannels: 48, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
      Conv2D(inputChannels: 48, outputChannels: 64, kernelSize: (3, 3), activation: .elu),
      Conv2D(inputChannels: 64, outputChannels: 64, kernelSize: (3, 3), activation: .elu),
    ]
    if dropout > 0 { layers.append(Dropout(rate: dropout, seed: seed &+ 1)) }
    layers.append(Flatten())
    layers.append(Dense(inputCount: 1152, outputCount: 100, activation: .elu))
    if dropout > 0 { layers.append(Dropout(rate: dropout, seed: seed &+ 2)) }
    layers += [
      Dense(inputCount: 100, outputCount: 50, activation: .elu),
      Dense(inputCount: 50, outputCount: 10, activation: .elu),
      Dense(inputCount: 10, outputCount: 1),
    ]
    return layers
  }
}
