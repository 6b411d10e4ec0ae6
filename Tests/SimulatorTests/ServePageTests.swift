import DrivingData
import Foundation
import NIOCore
import Testing

@testable import Simulator

/// `Simulate serve`'s pieces without a browser: the page's commands, keyboard smoothing, the
/// saliency key of a steer reply, and the server against hostile and stalled WebSocket clients.
@Suite(.serialized) struct ServePageTests {
  @Test func commandsParseStrictly() throws {
    #expect(
      try LiveCommand(json: #"{"type":"input","steering":-1,"throttle":1}"#)
        == .input(steering: -1, throttle: 1, analog: false))
    #expect(
      try LiveCommand(json: #"{"type":"input","steering":0.25,"throttle":-0.5,"analog":true}"#)
        == .input(steering: 0.25, throttle: -0.5, analog: true))
    #expect(try LiveCommand(json: #"{"type":"record","on":true}"#) == .record(true))
    #expect(try LiveCommand(json: #"{"type":"mode","mode":"autonomous"}"#) == .mode(.autonomous))
    #expect(try LiveCommand(json: #"{"type":"track","name":"jungle"}"#) == .track("jungle"))
    for bad in [
      "", "null", "[]", #"{"type":"input","steering":2,"throttle":0}"#, #"{"type":"input","steering":0}"#,
      #"{"type":"record"}"#, #"{"type":"track","name":"../../etc/passwd"}"#,
      #"{"type":"mode","mode":"race"}"#,
      #"{"type":"fly"}"#, #"{"steering":0}"#,
    ] {
      #expect(throws: LiveCommand.Invalid.self, "\(bad)") { try LiveCommand(json: bad) }
    }
  }

  @Test func keyboardAxisMovesLikeUnitysInputAxis() {
    var axis = KeyboardAxis()
    // 3 units a second: a third of a second from 0 to full lock, never beyond.
    for _ in 0..<5 { axis.update(target: 1, dt: 1.0 / 30) }
    #expect(abs(axis.value - 0.5) < 1e-9)
    for _ in 0..<10 { axis.update(target: 1, dt: 1.0 / 30) }
    #expect(axis.value == 1)
    // Released: gravity back to 0 at the same rate.
    axis.update(target: 0, dt: 0.1)
    #expect(abs(axis.value - 0.7) < 1e-9)
    // The opposite key snaps to 0 first.
    axis.update(target: -1, dt: 1.0 / 30)
    #expect(abs(axis.value + 0.1) < 1e-9)
    axis.set(3)
    #expect(axis.value == 1)
  }

  @Test func steerRepliesKeepTheSaliencyKey() {
    let text = #"42["steer",{"steering_angle":"0.1","throttle":"0.2","saliency":"iVBORw0KGgo="}]"#
    #expect(ServerPacket(text: text) == .steer(steering: "0.1", throttle: "0.2", saliency: "iVBORw0KGgo="))
    // Without the key (and with a non-string one) the packet is what it always was.
    #expect(
      ServerPacket(text: #"42["steer",{"steering_angle":"0.1","throttle":"0.2"}]"#)
        == .steer(steering: "0.1", throttle: "0.2"))
    #expect(
      ServerPacket(text: #"42["steer",{"steering_angle":"0.1","throttle":"0.2","saliency":7}]"#)
        == .steer(steering: "0.1", throttle: "0.2", saliency: nil))
  }

  @Test func remoteControllerKeepsTheLastReplyForThePage() throws {
    let png = try PNGCodec().encode(
      pixels: [UInt8](repeating: 200, count: 320 * 160), width: 320, height: 160, channels: 1)
    let saliency = Data(png).base64EncodedString()
    let server = try TestDriveServer(
      replies: .sequence(steering: ["-0.1250", "0.2500"], saliency: saliency), throttle: 0.3)
    defer { server.stop() }
    let controller = try RemoteController(host: "127.0.0.1", port: server.port)
    defer { controller.finish() }
    let frame = RGBImage(width: 320, height: 160)
    let state = VehicleState(position: Vec2(x: 0, y: 0), heading: 0)
    var seen: [String] = []
    for _ in 0..<4 {
      let controls = try #require(
        try controller.controls(after: Observation(state: state, frame: frame, time: 0)))
      let shown = try #require(controller.lastSteering)
      seen.append(shown)
      #expect(controls.steering == Double(shown))
      #expect(controller.lastSaliency == saliency)
    }
    #expect(seen == ["-0.1250", "0.2500", "-0.1250", "0.2500"])
  }

  @Test func loopbackOnlyByDefault() throws {
    #expect(LiveOptions().host == "127.0.0.1")
    #expect(!LiveOptions().allowRemote)
    #expect(LiveServer.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
    #expect(LiveServer.isLoopback(try SocketAddress(ipAddress: "127.8.9.10", port: 1)))
    #expect(LiveServer.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
    #expect(LiveServer.isLoopback(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)))
    #expect(!LiveServer.isLoopback(try SocketAddress(ipAddress: "10.0.0.7", port: 1)))
    #expect(!LiveServer.isLoopback(try SocketAddress(ipAddress: "::ffff:192.168.1.2", port: 1)))
    #expect(!LiveServer.isLoopback(try SocketAddress(ipAddress: "fe80::1", port: 1)))
    #expect(!LiveServer.isLoopback(nil))
  }

  @Test func hostileAndStalledClientsOnlyLoseTheirOwnConnection() async throws {
    let session = try ServePeer.session()
    defer { session.stop() }
    let result = try await ServePeer.run("ws_probe.py", ["--port", "\(session.server.port)"])
    let page = try #require(result["page"] as? [String: Any])
    #expect(page["status"] as? Int == 200)
    #expect((page["type"] as? String)?.hasPrefix("text/html") == true)
    #expect((page["external"] as? [String])?.isEmpty == true, "the page loads nothing from elsewhere")
    #expect(result["missing"] as? Int == 404)
    #expect(result["foreignOrigin"] as? Int == 403, "\(result)")
    #expect(result["rebinding"] as? Int == 403, "\(result)")
    #expect(result["localhostName"] as? String == "accepted")
    #expect(result["hello"] as? [String] == ["hello", "map"])
    // At most 20 frames a second (the default cap) over the 1.5 s the probe listened.
    #expect((result["framesBefore"] as? Int ?? 0) > 0)
    #expect((result["framesBefore"] as? Int ?? 99) <= 32)
    // 1003 unacceptable data for garbage and binary, 1009 (too big, NIO's own) for the oversized one.
    #expect(result["garbageClose"] as? Int == 1003)
    #expect(result["unknownCommandClose"] as? Int == 1003)
    #expect(result["outOfRangeClose"] as? Int == 1003)
    #expect(result["binaryClose"] as? Int == 1003)
    // Closing on an unread oversized message may reach the client as a reset before the 1009 frame.
    let oversize = result["oversizeClose"]
    #expect(oversize as? Int == 1009 || oversize as? String == "reset", "\(oversize ?? "nil")")
    #expect((result["framesAfterAbuse"] as? Int ?? 0) > 0)
    #expect(result["goodClosed"] is NSNull || result["goodClosed"] == nil)
    // A viewer that never reads: the simulation keeps real time and the other page keeps its frames.
    let stall = try #require(result["stall"] as? [String: Any])
    let wall = try #require(stall["wallSeconds"] as? Double)
    let sim = try #require(stall["simSeconds"] as? Double)
    #expect(sim > 0.6 * wall, "simulated \(sim) s in \(wall) s of wall clock beside a stalled viewer")
    #expect(Double(stall["frames"] as? Int ?? 0) > 4 * wall)
    #expect(result["paused"] as? Bool == true)
    #expect(session.server.hub.rejectedMessages >= 5)
    let trackSwitch = try #require(result["trackSwitch"] as? [String: Any])
    #expect(trackSwitch["maps"] as? [String] == ["jungle"])
    #expect((trackSwitch["stateTracks"] as? [String])?.contains("jungle") == true)
    let reset = try #require(result["reset"] as? [String: Any])
    let before = try #require(reset["before"] as? Double)
    let after = try #require(reset["after"] as? Double)
    #expect(before > 1 && after < 0.5, "time \(before) s before the reset, \(after) s after")
  }
}
