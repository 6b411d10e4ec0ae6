// libFuzzer target: one server text packet -> the Simulator's reading of it (ServerPacket, then
// float.Parse of the steer fields), as the headless simulator's Unity-like client reacts to replies.
import FuzzSupport
import Simulator

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
  if case .steer(let steering, let throttle, _) = ServerPacket(text: text) {
    _ = unityParseFloat(steering)
    _ = unityParseFloat(throttle)
  }
  return 0
}

runLibFuzzer(fuzzOneInput)
