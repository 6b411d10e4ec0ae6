import Foundation
import Testing

@testable import Simulator

@Suite struct UnityMessagesTests {
  @Test func parsesServerPacketsAsTheUnityClientDoes() {
    #expect(ServerPacket(text: "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000}") == .open)
    #expect(
      ServerPacket(text: "0{\"upgrades\":[]}") == .malformed("open packet without sid: 0{\"upgrades\":[]}"))
    #expect(ServerPacket(text: "2") == .ping)
    #expect(ServerPacket(text: "3") == .pong)
    #expect(ServerPacket(text: "40") == .ignored)
    #expect(ServerPacket(text: "40{\"sid\":\"x\"}") == .ignored)
    #expect(ServerPacket(text: "6") == .ignored)
    #expect(
      ServerPacket(text: "42[\"steer\",{\"steering_angle\":\"-0.05\",\"throttle\":\"0.2\"}]")
        == .steer(steering: "-0.05", throttle: "0.2"))
    // Numbers are not strings: the handler's `.str` is null.
    #expect(
      ServerPacket(text: "42[\"steer\",{\"steering_angle\":-0.05,\"throttle\":0.2}]")
        == .steer(steering: nil, throttle: nil))
    #expect(ServerPacket(text: "42[\"manual\",{}]") == .manual)
    #expect(ServerPacket(text: "42[\"manual\"]") == .manual)
    #expect(ServerPacket(text: "42[\"reset\",{}]") == .otherEvent("reset"))
    if case .malformed = ServerPacket(text: "42[\"steer\",3]") {
    } else {
      Issue.record("non-object data accepted")
    }
    if case .malformed = ServerPacket(text: "42{\"steer\":1}") {
    } else {
      Issue.record("non-array event accepted")
    }
    if case .malformed = ServerPacket(text: "42[\"steer\",{},{}]") {
    } else {
      Issue.record("3-element event accepted")
    }
  }

  @Test func floatParseFailsLikeDotNet() {
    #expect(unityParseFloat("-0.05") == -0.05)
    #expect(unityParseFloat(" 1 ") == 1)
    #expect(unityParseFloat(nil) == nil)
    #expect(unityParseFloat("abc") == nil)
    #expect(unityParseFloat("") == nil)
    #expect(unityParseFloat("nan") == nil)
  }

  @Test func telemetryHasStringValuesAndBase64Image() throws {
    let text = telemetryMessage(
      steeringDegrees: -3.125, throttle: 0.2, speedMph: 9.04123, jpeg: [0xFF, 0xD8, 0xFF, 0x3F])
    #expect(
      text.hasPrefix(
        "42[\"telemetry\",{\"steering_angle\":\"-3.1250\",\"throttle\":\"0.2000\",\"speed\":\"9.0412\",\"image\":\""
      ))
    // Standard alphabet with `/`, not escaped.
    #expect(text.contains("\"image\":\"/9j/Pw==\""))
    let json = try JSONSerialization.jsonObject(with: Data(text.dropFirst(2).utf8)) as? [Any]
    #expect((json?.first as? String) == "telemetry")
  }

  @Test func framesAreMaskedAndFragmentedAt1016Bytes() {
    let text = String(repeating: "x", count: 2500)
    let frames = UnityWebSocketClient.frames(for: text, allocator: .init())
    #expect(frames.map(\.length) == [1016, 1016, 468])
    #expect(frames.map(\.opcode) == [.text, .continuation, .continuation])
    #expect(frames.map(\.fin) == [false, false, true])
    #expect(frames.allSatisfy { $0.maskKey != nil })
    let short = UnityWebSocketClient.frames(for: "2", allocator: .init())
    #expect(short.count == 1 && short[0].fin && short[0].opcode == .text)
  }
}
