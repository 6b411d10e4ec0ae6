// A fingerprint of (recordings + options): equal fingerprints mean a preparation would store
// exactly the same samples, so an existing store can be reused.
import Foundation
import TensorCore

public enum PreparationFingerprint {
  /// Format version: bump when the stored bytes would change for the same inputs.
  /// v2: the split, the storage order and augmentation shifts use SplitMix64's unbiased draws
  /// (v1 took `next() % n`), so a v1 store is neither reused nor resumed as if it were current.
  /// v3: frames go through `FramePreparer` (source-row crop, colour space; exact halvings resized by
  /// area average as OpenCV's INTER_LINEAR does, where v2 interpolated them).
  public static let version = "DrivingData.prepare.v3"

  /// Hex digest over the options, each CSV's bytes, and every referenced image's size and
  /// modification time (re-encoded or touched images change it; reading them is not needed).
  public static func compute(recordings: [Recording], options: PreparationOptions) throws -> String {
    var hash = FNV1a()
    hash.add(version)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    hash.add(try encoder.encode(options))
    for recording in recordings {
      hash.add(recording.csvPath)
      hash.add(try FileIO.read(recording.csvPath))
      for row in recording.rows {
        for camera in Camera.allCases {
          let path = row.path(camera)
          hash.add(path)
          let info = FileIO.sizeAndModification(path)
          hash.add(UInt64(bitPattern: Int64(info?.size ?? -1)))
          hash.add(UInt64(bitPattern: Int64(info?.modified ?? -1)))
        }
      }
    }
    return hash.hex
  }
}

/// 2 x 64-bit FNV-1a with different offsets: 128 bits, enough to tell inputs apart (not a MAC).
package struct FNV1a {
  private var a: UInt64 = 0xcbf2_9ce4_8422_2325
  private var b: UInt64 = 0x6c62_272e_07bb_0142

  package init() {}

  package mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    for byte in bytes {
      a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
      b = (b ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    // A separator so ("ab", "c") and ("a", "bc") differ.
    a = (a ^ 0xFF) &* 0x100_0000_01b3
    b = (b ^ 0x1FF) &* 0x100_0000_01b3
  }

  package mutating func add(_ text: String) { add(text.utf8) }
  package mutating func add(_ data: Data) { add([UInt8](data)) }

  package mutating func add(_ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { add($0) }
  }

  package var hex: String {
    [a, b].map { value in
      let digits = String(value, radix: 16)
      return String(repeating: "0", count: 16 - digits.count) + digits
    }.joined()
  }
}
