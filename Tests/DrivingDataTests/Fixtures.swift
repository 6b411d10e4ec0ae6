import DrivingData

/// Committed fixtures made by Scripts/fixtures/drivingdata_opencv.py, located from this file.
enum Fixtures {
  static let folder: String = {
    let path = #filePath
    return String(path[..<path.lastIndex(of: "/")!]) + "/Fixtures"
  }()

  static func path(_ name: String) -> String { folder + "/" + name }

  static func image(_ name: String) throws -> RGBImage { try RGBImage(contentsOfFile: path(name)) }
}
