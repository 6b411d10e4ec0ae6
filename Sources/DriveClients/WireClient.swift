#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A small blocking WebSocket client that writes exactly the bytes the simulator writes
/// (`EIO=4` URL, masked frames, 1016-byte fragments) or deliberately broken ones.
/// For tests and `Bench drive`; not a general client.
package final class WireClient {
  package struct Frame {
    package var opcode: UInt8
    package var payload: [UInt8]
    package var text: String { String(decoding: payload, as: UTF8.self) }
  }

  package enum Failure: Error, CustomStringConvertible {
    case connect(String)
    case handshake(String)
    case closed
    case timeout

    package var description: String {
      switch self {
      case .connect(let s): "connect: \(s)"
      case .handshake(let s): "handshake: \(s)"
      case .closed: "connection closed"
      case .timeout: "timed out"
      }
    }
  }

  private let fd: Int32
  private var inbox: [UInt8] = []
  /// The 101 response head, lines as received.
  package private(set) var responseHead: String = ""
  /// Microseconds of the last `send` syscall's return (monotonic), for latency measurements.
  package private(set) var lastSendTime: UInt64 = 0

  /// Opens a TCP connection and, unless `path` is nil, performs the WebSocket handshake the
  /// simulator performs (websocket-sharp's headers, no Origin, no subprotocol, no extensions).
  package init(
    port: Int, host: String = "127.0.0.1", path: String? = "/socket.io/?EIO=4&transport=websocket",
    timeoutSeconds: Int = 10, receiveBufferSize: Int? = nil
  ) throws {
    #if canImport(Glibc)
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw Failure.connect("socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    // Sends time out too, so a client the server stops reading from cannot hang.
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    if var size = receiveBufferSize.map(Int32.init) {
      // Before connect, so the window is small from the start (a client that reads slowly).
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    let status = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard status == 0 else {
      close(fd)
      throw Failure.connect("cannot reach \(host):\(port)")
    }
    if let path { try handshake(path: path, host: host, port: port) }
  }

  deinit { close(fd) }

  /// The simulator's upgrade request (websocket-sharp's headers).
  package static func upgradeRequest(path: String, host: String, port: Int) -> [UInt8] {
    let key = "dGhlIHNhbXBsZSBub25jZQ=="
    let request =
      "GET \(path) HTTP/1.1\r\nUser-Agent: websocket-sharp/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Host: \(host):\(port)\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
    return Array(request.utf8)
  }

  private func handshake(path: String, host: String, port: Int) throws {
    try sendRaw(Self.upgradeRequest(path: path, host: host, port: port))
    let terminator: [UInt8] = [13, 10, 13, 10]
    while true {
      if let end = find(terminator) {
        responseHead = String(decoding: inbox[..<end], as: UTF8.self)
        inbox.removeFirst(end + 4)
        break
      }
      try fill()
    }
    guard responseHead.hasPrefix("HTTP/1.1 101") else {
      throw Failure.handshake(
        responseHead.split(separator: "\r\n").first.map(String.init) ?? "empty response")
    }
  }

  private func find(_ needle: [UInt8]) -> Int? {
    guard inbox.count >= needle.count else { return nil }
    for i in 0...(inbox.count - needle.count) where inbox[i..<(i + needle.count)].elementsEqual(needle) {
      return i
    }
    return nil
  }

  private func fill() throws {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    if n == 0 { throw Failure.closed }
    if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
    inbox += chunk[..<n]
  }

  /// Everything the server sends until it closes the connection (or the timeout).
  package func readUntilClosed() -> [UInt8] {
    while (try? fill()) != nil {}
    defer { inbox.removeAll() }
    return inbox
  }

  /// Writes bytes as they are (no framing).
  package func sendRaw(_ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout }
      guard n > 0 else { throw Failure.closed }
      sent += n
    }
    lastSendTime = Self.monotonicMicroseconds()
  }

  package static func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
  }

  /// One masked frame as a client writes it.
  package static func frame(opcode: UInt8, fin: Bool, payload: some Collection<UInt8>) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
    let n = payload.count
    if n < 126 {
      out.append(0x80 | UInt8(n))
    } else if n < 65536 {
      out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xff)]
    } else {
      out.append(0x80 | 127)
      out += (0..<8).reversed().map { UInt8((n >> ($0 * 8)) & 0xff) }
    }
    let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
    out += mask
    for (i, byte) in payload.enumerated() { out.append(byte ^ mask[i & 3]) }
    return out
  }

  /// A text message, split like websocket-sharp into `fragmentSize`-byte frames (1016 in the
  /// simulator) when longer; all frames go out in one write.
  package func sendText(_ text: String, fragmentSize: Int = 1016) throws {
    let bytes = Array(text.utf8)
    var wire: [UInt8] = []
    var start = 0
    repeat {
      let end = min(start + fragmentSize, bytes.count)
      wire += Self.frame(opcode: start == 0 ? 1 : 0, fin: end == bytes.count, payload: bytes[start..<end])
      start = end
    } while start < bytes.count
    try sendRaw(wire)
  }

  /// The next whole frame from the server (the server never fragments).
  package func receive() throws -> Frame {
    while true {
      if inbox.count >= 2 {
        let opcode = inbox[0] & 0x0f
        var length = Int(inbox[1] & 0x7f)
        var offset = 2
        if length == 126, inbox.count >= 4 {
          length = Int(inbox[2]) << 8 | Int(inbox[3])
          offset = 4
        } else if length == 127, inbox.count >= 10 {
          length = inbox[2..<10].reduce(0) { $0 << 8 | Int($1) }
          offset = 10
        }
        if length < 126 || offset > 2, inbox.count >= offset + length {
          let payload = Array(inbox[offset..<(offset + length)])
          inbox.removeFirst(offset + length)
          return Frame(opcode: opcode, payload: payload)
        }
      }
      try fill()
    }
  }

  /// The next text frame, answering nothing; close frames throw `.closed`.
  package func receiveText() throws -> String {
    while true {
      let frame = try receive()
      if frame.opcode == 8 { throw Failure.closed }
      if frame.opcode == 1 { return frame.text }
    }
  }

  /// Whether the server has closed the connection, without blocking: true on end of stream or
  /// reset; bytes that arrived first are kept for `receive`.
  package func peerHasClosed() -> Bool {
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
      if n > 0 {
        inbox += chunk[..<n]
        continue
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
    }
  }

  /// Blocks until the server closes the connection, at most `seconds`; returns everything it sent
  /// meanwhile (with what was already buffered) and whether it closed.
  package func awaitClose(seconds: Double) -> (bytes: [UInt8], closed: Bool) {
    let start = Self.monotonicMicroseconds()
    while Double(Self.monotonicMicroseconds() - start) / 1e6 < seconds {
      do { try fill() } catch Failure.timeout { continue } catch {
        defer { inbox.removeAll() }
        return (inbox, true)
      }
    }
    defer { inbox.removeAll() }
    return (inbox, false)
  }

  /// Blocks until the server closes or resets the connection, at most `seconds`, without reading
  /// (a client that never reads must not drain the server's queue while it waits).
  package func awaitHangUp(seconds: Double) -> Bool {
    let peerHungUp: Int16 = 0x2000  // POLLRDHUP, which Glibc exports only with _GNU_SOURCE
    var poller = pollfd(fd: fd, events: peerHungUp, revents: 0)
    let status = poll(&poller, 1, Int32(seconds * 1000))
    return status > 0 && poller.revents & (peerHungUp | Int16(POLLHUP | POLLERR)) != 0
  }

  /// Half-closes nothing: drops the TCP connection at once (a client vanishing).
  package func abort() {
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    shutdown(fd, Int32(SHUT_RDWR))
  }
}
