// Drive --saliency: every steer carries "saliency", base64 of an 8-bit grey PNG of the camera
// frame's size whose pixels are the library's VisualBackProp mask mapped back through the input
// pipeline; without it the reply is byte for byte what it always was.
import ConvNet
import DriveClients
import DrivingData
import Foundation
import Logging
import ModelFile
import TensorCore
import Testing

@testable import Drive

@Suite struct SaliencyReplyTests {
  func fields(_ jpeg: Data) -> [Any] {
    [
      ["steering_angle": "0", "throttle": "0", "speed": "3.5", "image": jpeg.base64EncodedString()]
        as [String: Any]
    ]
  }

  /// A small ELU conv net over (h, w, 3): two stride-2 convolutions, then a dense output.
  func model(height h: Int, width w: Int, seed: UInt64) throws -> Sequential {
    let (h1, w1) = ((h - 5) / 2 + 1, (w - 5) / 2 + 1)
    let (h2, w2) = ((h1 - 3) / 2 + 1, (w1 - 3) / 2 + 1)
    return try Sequential(
      inputShape: [h, w, 3],
      layers: [
        Rescaling(scale: 1 / 127.5, offset: -1),
        Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: (5, 5), stride: (2, 2), activation: .elu),
        Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), activation: .elu),
        Flatten(),
        Dense(inputCount: h2 * w2 * 4, outputCount: 1),
      ], seed: seed, threads: 1)
  }

  /// The reply's event object: `42["steer",{...}]` -> {...}.
  func steerFields(_ reply: String) throws -> [String: String] {
    #expect(reply.hasPrefix("42"))
    let array = try JSONSerialization.jsonObject(with: Data(reply.utf8.dropFirst(2))) as? [Any]
    #expect(array?.first as? String == "steer")
    return try #require(array?.last as? [String: String])
  }

  /// The PNG's grey levels (libpng expands grey to RGB on decode: the three channels must agree).
  func greyPixels(_ base64: String) throws -> (width: Int, height: Int, grey: [UInt8]) {
    let png = try #require(Data(base64Encoded: base64))
    #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    #expect(png[25] == 0, "PNG colour type \(png[25]), want 0 (greyscale)")
    #expect(png[24] == 8, "PNG bit depth \(png[24]), want 8")
    let image = try PNGCodec().decode(Array(png))
    var grey = [UInt8](repeating: 0, count: image.width * image.height)
    for i in grey.indices {
      let p = image.pixels[(i * 3)..<(i * 3 + 3)]
      #expect(p.allSatisfy { $0 == p.first }, "pixel \(i) is not grey")
      grey[i] = image.pixels[i * 3]
    }
    return (image.width, image.height, grey)
  }

  @Test func steerCarriesTheLibraryMaskOverTheCameraFrame() throws {
    // Crop 60 top / 20 bottom, resize to 100x40: both halves of the inverse geometry are exercised.
    let pipeline = InputPipeline(
      sourceWidth: 320, sourceHeight: 160, cropTop: 60, cropBottom: 20, resizeWidth: 100, resizeHeight: 40,
      modelInputShape: [40, 100, 3])
    // The autopilot gets its own copy of the network (same seed, same weights): it takes ownership.
    let net = try model(height: 40, width: 100, seed: 5)
    let autopilot = Autopilot(
      saliencyPredictor: try SequentialPredictor(
        model: model(height: 40, width: 100, seed: 5), pipeline: pipeline),
      setSpeed: 9)
    #expect(autopilot.sendsSaliency)
    let answer = autopilot.respond(to: fields(Fixtures.cameraJPEG), car: autopilot.makeCar())
    #expect(answer.error == nil)
    let steer = try #require(answer.steer)
    let reply = try steerFields(answer.reply)
    #expect(Set(reply.keys) == ["steering_angle", "throttle", "saliency"])
    #expect(reply["steering_angle"] == SocketIOText.decimal(steer.steering))
    let (w, h, grey) = try greyPixels(try #require(reply["saliency"]))
    #expect((w, h) == (320, 160))

    // The library's mask for this frame, through the pipeline's inverse geometry.
    let frame = try JPEGDecoder().decode(Array(Fixtures.cameraJPEG))
    var preparer = FramePreparer(pipeline: pipeline)
    let input = try preparer.prepare(frame)
    let (prediction, mask) = try input.pixels.withUnsafeBufferPointer {
      try net.predictWithSaliency(image: $0)
    }
    #expect(steer.steering == min(max(prediction, -1), 1))
    let onFrame = try pipeline.frameMask(mask.values, frameWidth: 320, frameHeight: 160)
    let want = try SaliencyFrame(mask: onFrame, width: 320, height: 160)
    #expect(grey == want.pixels)
    // Normalised per frame; the cropped rows were never seen.
    #expect(grey.max() == 255)
    #expect(grey[0..<(60 * 320)].allSatisfy { $0 == 0 } && grey[(140 * 320)...].allSatisfy { $0 == 0 })
  }

  /// Crop only (no resize): the frame's kept rows are the model-input mask itself, quantised here
  /// by hand, so this checks the geometry without the library's own mapping.
  @Test func cropOnlyPipelinePutsTheMaskInTheKeptRows() throws {
    let pipeline = InputPipeline(cropTop: 30, cropBottom: 10, modelInputShape: [120, 320, 3])
    let net = try model(height: 120, width: 320, seed: 9)
    let autopilot = Autopilot(
      saliencyPredictor: try SequentialPredictor(
        model: model(height: 120, width: 320, seed: 9), pipeline: pipeline))
    let answer = autopilot.respond(to: fields(Fixtures.cameraJPEG), car: autopilot.makeCar())
    let (w, h, grey) = try greyPixels(try #require(try steerFields(answer.reply)["saliency"]))
    #expect((w, h) == (320, 160))
    let frame = try JPEGDecoder().decode(Array(Fixtures.cameraJPEG))
    var kept = [UInt8]()
    for r in 30..<150 { kept += frame.pixels[(r * 320 * 3)..<((r + 1) * 320 * 3)] }
    let mask = try kept.withUnsafeBufferPointer { try net.visualBackProp(image: $0) }
    // The mask is min-max normalised and the crop rows are 0, so the frame's levels are the mask's.
    let levels = mask.values.map { UInt8(($0 * 255).rounded()) }
    #expect(Array(grey[(30 * 320)..<(150 * 320)]) == levels)
    #expect(grey[0..<(30 * 320)].allSatisfy { $0 == 0 })
    #expect(grey[(150 * 320)...].allSatisfy { $0 == 0 })
  }

  @Test func withoutSaliencyTheReplyIsUnchanged() throws {
    let pipeline = InputPipeline(
      sourceWidth: 320, sourceHeight: 160, cropTop: 60, cropBottom: 20, resizeWidth: 100, resizeHeight: 40,
      modelInputShape: [40, 100, 3])
    let plain = Autopilot(
      predictor: try SequentialPredictor(model: model(height: 40, width: 100, seed: 5), pipeline: pipeline),
      setSpeed: 9)
    #expect(!plain.sendsSaliency)
    let answer = plain.respond(to: fields(Fixtures.cameraJPEG), car: plain.makeCar())
    let steer = try #require(answer.steer)
    #expect(answer.reply == SocketIOText.steer(steering: steer.steering, throttle: steer.throttle))
    #expect(!answer.reply.contains("saliency"))
    // The same steering and throttle as with saliency (one forward either way).
    let salient = Autopilot(
      saliencyPredictor: try SequentialPredictor(
        model: model(height: 40, width: 100, seed: 5), pipeline: pipeline),
      setSpeed: 9)
    let other = salient.respond(to: fields(Fixtures.cameraJPEG), car: salient.makeCar())
    #expect(other.steer == answer.steer)
    #expect(other.reply.hasPrefix(String(answer.reply.dropLast(2)) + #","saliency":""#))
  }

  /// Through the server as the simulator talks to it: the steer text frame carries the same mask.
  @Test func overTheWebSocketTheSteerFrameCarriesTheMask() async throws {
    let pipeline = InputPipeline(
      sourceWidth: 320, sourceHeight: 160, cropTop: 60, cropBottom: 20, resizeWidth: 100, resizeHeight: 40,
      modelInputShape: [40, 100, 3])
    var logger = Logger(label: "drive.test")
    logger.logLevel = .critical
    let server = try await DriveServer(
      configuration: DriveServer.Configuration(port: 0, threads: 2),
      autopilot: Autopilot(
        saliencyPredictor: try SequentialPredictor(
          model: model(height: 40, width: 100, seed: 5), pipeline: pipeline)
      ),
      logger: logger, onFrame: nil)
    let reply: String
    do {
      let client = try WireClient(port: server.localPort)
      #expect(try client.receiveText().hasPrefix(#"0{"sid":""#))
      try client.sendText(Fixtures.telemetry())
      reply = try client.receiveText()
    } catch {
      try await server.stop()
      throw error
    }
    try await server.stop()
    let (w, h, grey) = try greyPixels(try #require(try steerFields(reply)["saliency"]))
    #expect((w, h) == (320, 160))
    let net = try model(height: 40, width: 100, seed: 5)
    var preparer = FramePreparer(pipeline: pipeline)
    let input = try preparer.prepare(try JPEGDecoder().decode(Array(Fixtures.cameraJPEG)))
    let mask = try input.pixels.withUnsafeBufferPointer { try net.visualBackProp(image: $0) }
    let want = try SaliencyFrame(
      mask: try pipeline.frameMask(mask.values, frameWidth: 320, frameHeight: 160), width: 320, height: 160)
    #expect(grey == want.pixels)
  }

  /// A frame the pipeline cannot take gets `manual` and an error, as without saliency.
  @Test func unusableFrameAnswersManual() throws {
    let pipeline = InputPipeline(cropTop: 30, cropBottom: 10, modelInputShape: [120, 320, 3])
    let autopilot = Autopilot(
      saliencyPredictor: try SequentialPredictor(
        model: model(height: 120, width: 320, seed: 9), pipeline: pipeline))
    let small = try JPEGEncoder(quality: 90).encode(RGBImage(width: 64, height: 32))
    let answer = autopilot.respond(to: fields(Data(small)), car: autopilot.makeCar())
    #expect(answer.reply == SocketIOText.manual)
    if case .predictionFailed = answer.error {
    } else {
      Issue.record("expected predictionFailed, got \(String(describing: answer.error))")
    }
  }
}
