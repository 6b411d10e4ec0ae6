import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import Drive

/// The word-at-a-time unmasking against NIO's byte loop, and the handler's frames.
@Suite struct ClientFrameUnmaskerTests {
  static let key = WebSocketMaskingKey([0x37, 0xfa, 0x21, 0x3d])!

  static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
  }

  @Test func unmaskMatchesNIOForEveryLengthAndOffset() {
    for offset in 0..<4 {
      for count in [0, 1, 3, 7, 8, 9, 15, 16, 17, 1016, 1023] {
        let data = Self.bytes(count, seed: UInt8(offset))
        var ours = ByteBuffer(bytes: data)
        var reference = ByteBuffer(bytes: data)
        ClientFrameUnmasker.unmask(&ours, key: Self.key, offset: offset)
        reference.webSocketUnmask(Self.key, indexOffset: offset)
        #expect(ours == reference, "count \(count) offset \(offset)")
        #expect(count < 8 || ours != ByteBuffer(bytes: data))
      }
    }
  }

  @Test func handlerPassesUnmaskedFramesAndRefusesUnmaskedInput() throws {
    let channel = EmbeddedChannel(handler: ClientFrameUnmasker())
    let text = Array(#"42["telemetry",{"speed":"1.0"}]"#.utf8)
    var masked = ByteBuffer(bytes: text)
    masked.webSocketMask(Self.key)
    // A frame with extension data: the mask runs on across it (RFC 6455 5.3).
    let extensionBytes: [UInt8] = [1, 2, 3, 4, 5]
    var both = ByteBuffer(bytes: extensionBytes + text)
    both.webSocketMask(Self.key)
    let maskedExtension = both.getSlice(at: 0, length: 5)!
    let maskedPayload = both.getSlice(at: 5, length: text.count)!
    try channel.writeInbound(
      WebSocketFrame(fin: false, opcode: .text, maskKey: Self.key, data: masked))
    try channel.writeInbound(
      WebSocketFrame(
        fin: true, opcode: .continuation, maskKey: Self.key, data: maskedPayload,
        extensionData: maskedExtension))
    let first = try #require(try channel.readInbound(as: WebSocketFrame.self))
    #expect(first.maskKey == nil && !first.fin && first.opcode == .text)
    #expect(first.data == ByteBuffer(bytes: text))
    let second = try #require(try channel.readInbound(as: WebSocketFrame.self))
    #expect(second.maskKey == nil && second.fin && second.opcode == .continuation)
    #expect(second.extensionData == ByteBuffer(bytes: extensionBytes))
    #expect(second.data == ByteBuffer(bytes: text))
    #expect(throws: ClientFrameUnmasker.UnmaskedFrame.self) {
      try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: text)))
    }
    #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
  }
}
