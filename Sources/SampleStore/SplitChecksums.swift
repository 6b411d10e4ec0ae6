import HDF5

/// One running checksum per stored column of a split, in `SampleStoreLayout.columns` order.
package struct SplitChecksums: Sendable, Equatable {
  package var columns = [StreamChecksum](repeating: StreamChecksum(), count: 6)

  package init() {}

  package init?(saved: [UInt64]) {
    guard saved.count == 24 else { return nil }
    var restored: [StreamChecksum] = []
    for index in 0..<6 {
      guard let column = StreamChecksum(saved: saved[(index * 4)..<(index * 4 + 4)]) else { return nil }
      restored.append(column)
    }
    columns = restored
  }

  package var saved: [UInt64] { columns.flatMap(\.saved) }
  package var values: [UInt64] { columns.map(\.value) }

  package mutating func update(
    images: [UInt8], steering: [Float], provenance: ProvenanceColumns
  ) {
    columns[0].update(images)
    columns[1].update(steering)
    columns[2].update(provenance.recording)
    columns[3].update(provenance.row)
    columns[4].update(provenance.camera)
    columns[5].update(provenance.flipped)
  }

  /// Recomputes the checksums of the first `count` stored samples, reading `chunk` samples at a time.
  package static func recompute(_ split: SplitColumns, count: Int, imageShape: [Int], chunk: Int) throws
    -> SplitChecksums
  {
    var sums = SplitChecksums()
    var start = 0
    while start < count {
      let n = min(chunk, count - start)
      let images = try split.images.read(as: UInt8.self, start: [start, 0, 0, 0], count: [n] + imageShape)
      let provenance = ProvenanceColumns(
        recording: try split.recording.read(as: Int32.self, rows: start..<(start + n)),
        row: try split.row.read(as: Int32.self, rows: start..<(start + n)),
        camera: try split.camera.read(as: UInt8.self, rows: start..<(start + n)),
        flipped: try split.flipped.read(as: UInt8.self, rows: start..<(start + n)))
      sums.update(
        images: images, steering: try split.steering.read(as: Float.self, rows: start..<(start + n)),
        provenance: provenance)
      start += n
    }
    return sums
  }
}
