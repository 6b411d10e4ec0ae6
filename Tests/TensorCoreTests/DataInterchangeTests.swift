import TensorCore
import Testing

@Suite struct DataInterchangeTests {
  @Test func batchCountFollowsLabels() {
    let b = SampleBatch(
      images: [UInt8](repeating: 7, count: 2 * 4 * 5 * 3), labels: [0.1, -0.2],
      provenance: [], height: 4, width: 5, channels: 3)
    #expect(b.count == 2)
    #expect(b.images.count == b.count * b.height * b.width * b.channels)
  }

  @Test func provenanceKeepsEveryField() {
    let p = SampleProvenance(recording: 3, row: 41, view: 7, flipped: true)
    #expect(p.recording == 3 && p.row == 41 && p.view == 7 && p.flipped)
    #expect(p != SampleProvenance(recording: 3, row: 41, view: 6, flipped: true))
  }
}
