// Trains a tiny steering model on synthetic camera frames and predicts, using only the ConvNet and
// DrivingData products. Each frame is grey road with one bright vertical stripe: the stripe's
// position is the steering angle (left edge -1, right edge +1). Exits 1 unless training loss
// fell, so CI catches a public API that builds but no longer learns.
import ConvNet
import DrivingData
import Foundation

let camera = (width: 96, height: 48)  // synthetic frame size, as a camera would send it
let input = (width: 32, height: 16)  // model input after DrivingData's crop and resize

/// A grey frame with a white stripe centred at `steering` (-1...1) across the road, and a sky
/// band above it that the preparation crops away.
func frame(steering: Float) -> RGBImage {
  var image = RGBImage(width: camera.width, height: camera.height, fill: (90, 90, 90))
  let centre = Int(((steering + 1) / 2 * Float(camera.width - 1)).rounded())
  for y in 0..<camera.height {
    for x in 0..<camera.width {
      let sky = y < 12
      let stripe = abs(x - centre) <= 3
      let value: (UInt8, UInt8, UInt8) = sky ? (120, 170, 230) : stripe ? (250, 250, 250) : (90, 90, 90)
      image[x: x, y: y, channel: 0] = value.0
      image[x: x, y: y, channel: 1] = value.1
      image[x: x, y: y, channel: 2] = value.2
    }
  }
  return image
}

/// DrivingData's preparation: drop the sky rows, then OpenCV-exact bilinear resize.
func prepare(_ image: RGBImage) throws -> RGBImage {
  try image.cropped(top: 12, bottom: 0).resizedBilinear(width: input.width, height: input.height)
}

/// `count` frames with steering spread evenly over -0.9...0.9, offset by `shift` of a step.
func dataset(count: Int, shift: Float) throws -> (images: [UInt8], labels: [Float]) {
  var images: [UInt8] = []
  var labels: [Float] = []
  for i in 0..<count {
    let steering = -0.9 + 1.8 * (Float(i) + shift) / Float(count)
    images += try prepare(frame(steering: steering)).pixels
    labels.append(steering)
  }
  return (images, labels)
}

func format(_ value: Float, _ pattern: String = "%.5f") -> String { String(format: pattern, value) }

func run() throws -> Bool {
  let shape = [input.height, input.width, RGBImage.channels]
  let train = try dataset(count: 48, shift: 0)
  let test = try dataset(count: 6, shift: 0.5)  // positions between the training ones

  // uint8 (16, 32, 3) -> x / 127.5 - 1 -> conv 3x3/2 ReLU (7, 15, 8) -> Dense 32 ReLU -> Dense 1.
  let model = try Sequential(
    inputShape: shape,
    layers: [
      Rescaling(scale: 1 / 127.5, offset: -1),
      Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: (3, 3), stride: (2, 2), activation: .relu),
      Flatten(),
      Dense(inputCount: 7 * 15 * 8, outputCount: 32, activation: .relu),
      Dense(inputCount: 32, outputCount: 1),
    ],
    seed: 7)
  print("model: \(model.parameterCount) parameters, input \(shape)")

  var configuration = TrainerConfiguration()
  configuration.epochs = 30
  configuration.batchSize = 8
  configuration.learningRate = 3e-3
  configuration.earlyStoppingPatience = nil
  let source = try ArrayBatchSource(images: train.images, labels: train.labels, sampleShape: shape, seed: 1)
  let trainer = Trainer(model: model, optimizer: Adam(), training: source, configuration: configuration)
  trainer.log = { _ in }
  trainer.progress = { _ in }
  let history = try trainer.fit()

  let losses = history.records.map(\.loss)
  for record in history.records where record.epoch == 1 || record.epoch % 5 == 0 {
    print("epoch \(record.epoch): loss \(format(record.loss))")
  }

  let pixelsPerImage = shape.reduce(1, *)
  var squaredError: Float = 0
  for (i, truth) in test.labels.enumerated() {
    let image = Array(test.images[(i * pixelsPerImage)..<((i + 1) * pixelsPerImage)])
    let steering = try image.withUnsafeBufferPointer { try model.predict(image: $0) }
    squaredError += (steering - truth) * (steering - truth)
    print("unseen frame, steering \(format(truth, "%+.3f")): predicted \(format(steering, "%+.3f"))")
  }
  // The label variance of the test set: what always predicting the mean (0) would score.
  let baseline = test.labels.reduce(0) { $0 + $1 * $1 } / Float(test.labels.count)
  let testLoss = squaredError / Float(test.labels.count)
  print("unseen frames: mse \(format(testLoss)), always predicting 0 scores \(format(baseline))")

  guard let first = losses.first, let last = losses.last, last < first / 4, testLoss < baseline / 4 else {
    print("FAIL: training did not learn (loss \(losses.first ?? .nan) -> \(losses.last ?? .nan))")
    return false
  }
  print("OK: loss \(format(first)) -> \(format(last))")
  return true
}

do {
  if try !run() { exit(1) }
} catch {
  print("FAIL: \(error)")
  exit(1)
}
