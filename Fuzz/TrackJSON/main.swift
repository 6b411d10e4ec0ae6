// libFuzzer target: track JSON -> TrackSpec (JSONDecoder) -> Track (validation and geometry), as
// `Simulate --track file.json` reads a user's track.
import Foundation
import FuzzSupport
import Simulator

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let bytes = Data(bytes: data, count: count)
  guard let spec = try? JSONDecoder().decode(TrackSpec.self, from: bytes) else { return 0 }
  _ = try? Track(spec: spec)
  return 0
}

runLibFuzzer(fuzzOneInput)
