// TEMPORARY until h/data lands: the shape of DrivingData's RGBImage and JPEGDecoder. Deleted at merge.
public struct RGBImage: Sendable, Equatable {
  public private(set) var width: Int
  public private(set) var height: Int
  public var pixels: [UInt8]
  public init(width: Int, height: Int, pixels: [UInt8]) throws {
    self.width = width
    self.height = height
    self.pixels = pixels
  }
  public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
    self.width = width
    self.height = height
    self.pixels = [UInt8](repeating: 0, count: width * height * 3)
  }
}
public final class JPEGDecoder {
  public init() {}
  public func decode(_ bytes: UnsafeRawBufferPointer, into image: inout RGBImage, path: String? = nil) throws {
    throw DriveError.badImage("pending")
  }
}
