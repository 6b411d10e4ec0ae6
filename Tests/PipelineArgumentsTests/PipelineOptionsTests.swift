import DrivingData
import ModelFile
import PipelineArguments
import Testing

@Suite struct PipelineOptionsTests {
  @Test func parsesCommandLineForms() throws {
    let parsed = try PipelineOptions.parse([
      "--resize", "200x66", "--crop", "60,25", "--normalize", "x/127.5-1", "--color", "YUV",
    ])
    let o = parsed.loadOptions(threads: 2)
    #expect(o.resizeWidth == 200 && o.resizeHeight == 66)
    #expect(o.cropTop == 60 && o.cropBottom == 25)
    #expect(o.normalization == .symmetric)
    #expect(o.colorSpace == .yuv)
    #expect(o.loadOptimizer == false)
    #expect(o.threads == 2)
  }

  @Test func nothingStatedOverridesNothing() throws {
    let o = try PipelineOptions.parse([]).loadOptions()
    #expect(o.resizeWidth == nil && o.cropTop == nil && o.normalization == nil && o.colorSpace == nil)
  }

  @Test func malformedValuesAreRefused() {
    for arguments in [
      ["--resize", "128"], ["--resize", "0x5"], ["--resize", "12x-3"], ["--crop", "43"], ["--crop", "-1,2"],
      ["--crop", "1,"], ["--normalize", "zscore"], ["--color", "hsv"],
    ] {
      #expect(throws: (any Error).self, "\(arguments)") { try PipelineOptions.parse(arguments) }
    }
  }

  @Test func valuesRoundTripThroughTheirDescriptions() throws {
    #expect(FrameSize(argument: "320X160") == FrameSize(width: 320, height: 160))
    #expect(FrameSize(width: 200, height: 66).defaultValueDescription == "200x66")
    #expect(
      RowCrop(argument: RowCrop(top: 43, bottom: 12).defaultValueDescription) == RowCrop(top: 43, bottom: 12))
    #expect(ColorSpace(argument: "Bgr") == .bgr)
    #expect(
      Normalization(argument: Normalization.centred.defaultValueDescription)?.isClose(to: .centred) == true)
  }
}
