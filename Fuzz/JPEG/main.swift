// libFuzzer target: JPEG bytes -> JPEGDecoder (libjpeg-turbo through CImageCodec). One decoder is
// reused across inputs, as Drive's cars and the preparation workers reuse theirs.
import DrivingData
import FuzzSupport

nonisolated(unsafe) private let decoder = JPEGDecoder()
nonisolated(unsafe) private var image = RGBImage(width: 1, height: 1)

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  try? decoder.decode(UnsafeRawBufferPointer(start: data, count: count), into: &image)
  return 0
}

runLibFuzzer(fuzzOneInput)
