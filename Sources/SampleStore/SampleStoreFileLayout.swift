/// Everything a writer fixes when it creates a store, and that a resumed file must match.
import HDF5

struct SampleStoreFileLayout {
  var imageShape: [Int]
  var splits: [String]
  var chunkImages: Int
  var deflate: Int?
  var metadata: SampleStoreMetadata

  /// Writes the root attributes of a new store (`complete` as given).
  func writeRootAttributes(_ root: H5Group, complete: Bool) throws {
    typealias A = SampleStoreLayout.RootAttribute
    try root.setAttribute(A.format, string: SampleStoreLayout.formatName)
    try root.setAttribute(A.version, SampleStoreLayout.formatVersion)
    try root.setAttribute(A.complete, Int32(complete ? 1 : 0))
    try root.setAttribute(A.preprocessing, string: metadata.preprocessingJSON)
    try root.setAttribute(A.seed, metadata.seed)
    try root.setAttribute(A.fingerprint, string: metadata.sourceFingerprint)
    try root.setAttribute(A.imageShape, imageShape.map { Int32($0) })
    try root.setAttribute(A.chunkImages, Int64(chunkImages))
    try root.setAttribute(A.deflate, Int32(deflate ?? -1))
    try root.setAttribute(A.splits, strings: splits, encoding: .variableLength)
  }
}

extension SplitColumns {
  /// Writes `images` (n x imageShape) and their labels at sample offset `start`.
  func write(
    images: [UInt8], steering: [Float], provenance columns: ProvenanceColumns, at start: Int,
    imageShape: [Int]
  ) throws {
    let n = steering.count
    try self.images.write(images, start: [start, 0, 0, 0], count: [n] + imageShape)
    try self.steering.write(steering, start: [start], count: [n])
    try recording.write(columns.recording, start: [start], count: [n])
    try row.write(columns.row, start: [start], count: [n])
    try camera.write(columns.camera, start: [start], count: [n])
    try flipped.write(columns.flipped, start: [start], count: [n])
  }
}
