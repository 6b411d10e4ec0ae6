import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct StreamChecksumTests {
  let bytes: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

  func checksum(cuts: [Int]) -> StreamChecksum {
    var sum = StreamChecksum()
    var start = 0
    for end in cuts + [bytes.count] {
      sum.update(Array(bytes[start..<end]))
      start = end
    }
    return sum
  }

  @Test func valueDoesNotDependOnHowTheStreamIsCut() {
    let whole = checksum(cuts: [])
    #expect(checksum(cuts: [1, 2, 3, 10, 17, 500, 999]) == whole)
    #expect(checksum(cuts: Array(stride(from: 7, to: 1000, by: 7))) == whole)
    #expect(checksum(cuts: [3]).value == whole.value)
  }

  @Test func detectsChangesAndRestoresFromItsSavedState() {
    let whole = checksum(cuts: [])
    var changed = bytes
    changed[500] ^= 1
    var other = StreamChecksum()
    other.update(changed)
    #expect(other.value != whole.value)
    var shorter = StreamChecksum()
    shorter.update(Array(bytes.dropLast()))
    #expect(shorter.value != whole.value)

    var partial = StreamChecksum()
    partial.update(Array(bytes[0..<333]))  // leaves a 5-byte tail pending
    var restored = StreamChecksum(saved: partial.saved[...])!
    restored.update(Array(bytes[333...]))
    #expect(restored == whole)
    #expect(StreamChecksum(saved: [1, 2, 9, 4][...]) == nil)  // a tail of 9 bytes is impossible
  }
}
