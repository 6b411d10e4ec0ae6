import TensorCore

/// Which of the car's three cameras took an image. Stored as `SampleProvenance.view` (and in
/// sample stores' `camera` column) by its raw value.
public enum Camera: UInt8, Sendable, Hashable, Codable, CaseIterable {
  case center = 0
  case left = 1
  case right = 2
}

extension SampleProvenance {
  public init(recording: Int32, row: Int32, camera: Camera, flipped: Bool) {
    self.init(recording: recording, row: row, view: camera.rawValue, flipped: flipped)
  }

  /// The camera that took the image; nil when `view` is no camera's number.
  public var camera: Camera? { Camera(rawValue: view) }
}
