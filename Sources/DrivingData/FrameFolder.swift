import Foundation

/// The frames of a recorded drive (`Drive model.h5 run1`), in recording order.
public enum FrameFolder {
  /// `.jpg`/`.jpeg` files of `folder` sorted by name; drive.py's UTC names sort by time.
  public static func frames(in folder: String) throws -> [String] {
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
      throw DrivingDataError.unreadableFile(
        path: folder, reason: "cannot list: \(error.localizedDescription)")
    }
    let jpegs = names.filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }
      .sorted()
    guard !jpegs.isEmpty else {
      throw DrivingDataError.unreadableFile(path: folder, reason: "no .jpg frames")
    }
    return jpegs.map { folder + "/" + $0 }
  }

  /// `(width, height)` of the first frame.
  public static func frameSize(_ path: String) throws -> (width: Int, height: Int) {
    do {
      let image = try JPEGDecoder().decode(contentsOf: path)
      return (image.width, image.height)
    } catch {
      throw DrivingDataError.corruptImage(path: path, reason: "\(error)")
    }
  }
}
