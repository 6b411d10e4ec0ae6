import NIOCore

/// The per-connection bounds from `DriveServer.Configuration`, for the handlers.
package struct ConnectionLimits: Sendable {
  package var handshakeTimeout: TimeAmount
  package var maxHeaderSize: Int
  package var maxConnections: Int
  package var outboundHighWaterMark: Int
  package var writeStallTimeout: TimeAmount
  package var idleMemoryRelease: TimeAmount?

  package init(_ configuration: DriveServer.Configuration) {
    handshakeTimeout = configuration.handshakeTimeout
    maxHeaderSize = configuration.maxHeaderSize
    maxConnections = max(1, configuration.maxConnections)
    outboundHighWaterMark = max(2, configuration.outboundHighWaterMark)
    writeStallTimeout = configuration.writeStallTimeout
    idleMemoryRelease = configuration.idleMemoryRelease
  }
}
