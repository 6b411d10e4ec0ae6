/// A running 64-bit checksum of a byte stream whose value does not depend on how the stream was cut
/// into pieces: FNV-1a over little-endian 64-bit words (bytes left over wait for the next piece),
/// finished with the byte count. Not cryptographic; it detects lost or damaged samples, and its whole
/// state fits in four numbers so a resumed writer continues exactly where the last commit stopped.
package struct StreamChecksum: Sendable, Equatable {
  private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
  private static let prime: UInt64 = 0x0000_0100_0000_01b3

  private var state = StreamChecksum.offsetBasis
  private var tail: UInt64 = 0
  private var tailCount: UInt64 = 0
  private var byteCount: UInt64 = 0

  package init() {}

  /// Restores a state saved with `saved`.
  package init?(saved: ArraySlice<UInt64>) {
    guard saved.count == 4, saved[saved.startIndex + 2] < 8 else { return nil }
    let values = Array(saved)
    state = values[0]
    tail = values[1]
    tailCount = values[2]
    byteCount = values[3]
  }

  package var saved: [UInt64] { [state, tail, tailCount, byteCount] }

  package mutating func update(_ bytes: UnsafeRawBufferPointer) {
    var index = 0
    let count = bytes.count
    while tailCount != 0 && index < count {
      appendTail(bytes[index])
      index += 1
    }
    while index + 8 <= count {
      mix(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian)
      index += 8
    }
    while index < count {
      appendTail(bytes[index])
      index += 1
    }
    byteCount &+= UInt64(count)
  }

  package mutating func update<T>(_ values: [T]) {
    values.withUnsafeBytes { update($0) }
  }

  /// The checksum of everything so far.
  package var value: UInt64 {
    var result = state
    if tailCount > 0 { result = (result ^ tail) &* Self.prime }
    return (result ^ byteCount) &* Self.prime
  }

  private mutating func appendTail(_ byte: UInt8) {
    tail |= UInt64(byte) << (8 * tailCount)
    tailCount += 1
    if tailCount == 8 {
      mix(tail)
      tail = 0
      tailCount = 0
    }
  }

  private mutating func mix(_ word: UInt64) {
    state = (state ^ word) &* Self.prime
  }
}
