import TensorCore
import TestSupport
import Testing

@testable import DrivingData

@Suite("Augmentation")
struct AugmentationTests {
  let image = RecordingBuilder.frame(width: 64, height: 32, steering: 0.2, seed: 5)

  @Test func shiftMovesContentAndReplicatesEdges() {
    var shifted = image
    shifted.shiftHorizontally(by: 5)
    for y in 0..<32 {
      for x in 0..<64 {
        let source = max(x - 5, 0)
        #expect(shifted[x: x, y: y, channel: 1] == image[x: source, y: y, channel: 1])
      }
    }
    var left = image
    left.shiftHorizontally(by: -3)
    #expect(left[x: 0, y: 10, channel: 0] == image[x: 3, y: 10, channel: 0])
    #expect(left[x: 63, y: 10, channel: 2] == image[x: 63, y: 10, channel: 2])
  }

  @Test func brightnessScalesValueAndKeepsHue() throws {
    let pixel = try RGBImage(width: 2, height: 1, pixels: [100, 50, 20, 200, 100, 40])
    #expect(pixel.adjustingBrightness(0.5).pixels == [50, 25, 10, 100, 50, 20])
    // Saturating: the largest channel stops at 255, the others keep their ratio (hue kept).
    #expect(pixel.adjustingBrightness(2).pixels == [200, 100, 40, 255, 128, 51])
    let darker = image.adjustingBrightness(0.6)
    let mean = { (i: RGBImage) in i.pixels.reduce(0) { $0 + Int($1) } / i.pixels.count }
    #expect(abs(Double(mean(darker)) - Double(mean(image)) * 0.6) < 2)
  }

  @Test func shadowDarkensOneSideOfTheLine() {
    var shadow = Augmentation()
    shadow.shadowTop = 0.5
    shadow.shadowBottom = 0.5
    shadow.shadowFactor = 0.5
    shadow.shadowLeft = true
    var out = image
    shadow.apply(to: &out)
    for y in [0, 15, 31] {
      #expect(out[x: 10, y: y, channel: 0] == UInt8((Float(image[x: 10, y: y, channel: 0]) * 0.5).rounded()))
      #expect(out[x: 50, y: y, channel: 0] == image[x: 50, y: y, channel: 0])
    }
  }

  @Test func drawnAugmentationsAreDeterministicAndWithinOptions() {
    var options = AugmentationOptions()
    options.maxShift = 8
    var seen = Set<Int>()
    for key in 0..<200 as Range<UInt64> {
      var a = SplitMix64(seed: 1, key)
      var b = SplitMix64(seed: 1, key)
      let x = Augmentation(options: options, random: &a)
      #expect(x == Augmentation(options: options, random: &b))
      #expect((0.5...1.25).contains(x.brightness) && abs(x.shift) <= 8)
      if let top = x.shadowTop { #expect((0..<1).contains(top) && (0.45...0.8).contains(x.shadowFactor)) }
      seen.insert(x.shift)
    }
    #expect(seen.count == 17)
  }
}
