import TensorCore
import Testing

@Suite struct DataInterchangeTests {
  @Test func batchCountFollowsLabels() {
    let b = SampleBatch(
      images: [UInt8](repeating: 7, count: 2 * 4 * 5 * 3), steering: [0.1, -0.2],
      provenance: [], height: 4, width: 5, channels: 3)
    #expect(b.count == 2)
    #expect(b.images.count == b.count * b.height * b.width * b.channels)
  }

  @Test func cameraCodesAreStable() {
    // Stored in HDF5 provenance columns: the raw values are part of the file format.
    #expect(Camera.allCases.map(\.rawValue) == [0, 1, 2])
  }
}
