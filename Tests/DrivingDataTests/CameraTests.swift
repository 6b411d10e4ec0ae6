import DrivingData
import TensorCore
import Testing

@Suite struct CameraTests {
  @Test func cameraCodesAreStable() {
    // Stored in sample stores' `camera` column: the raw values are part of the file format.
    #expect(Camera.allCases.map(\.rawValue) == [0, 1, 2])
  }

  @Test func provenanceStoresTheCameraAsItsView() {
    for camera in Camera.allCases {
      let p = SampleProvenance(recording: 2, row: 9, camera: camera, flipped: false)
      #expect(p.view == camera.rawValue)
      #expect(p.camera == camera)
    }
  }

  @Test func aViewThatIsNoCameraHasNone() {
    #expect(SampleProvenance(recording: 0, row: 0, view: 3, flipped: false).camera == nil)
  }
}
