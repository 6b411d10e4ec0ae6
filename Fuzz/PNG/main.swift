// libFuzzer target: PNG bytes -> PNGCodec.decode (libpng through CImageCodec), one reused codec.
import DrivingData
import FuzzSupport

nonisolated(unsafe) private let codec = PNGCodec()

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  _ = try? codec.decode(Array(UnsafeBufferPointer(start: data, count: count)))
  return 0
}

runLibFuzzer(fuzzOneInput)
