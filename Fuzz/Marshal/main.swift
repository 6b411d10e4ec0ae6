// libFuzzer target: bytes -> MarshalReader.code, the reader of a Keras Lambda's marshalled Python
// code object (it reads data only and must reject anything else with MarshalError).
import ModelFile
import FuzzSupport

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  _ = try? MarshalReader.code(from: Array(UnsafeBufferPointer(start: data, count: count)))
  return 0
}

runLibFuzzer(fuzzOneInput)
