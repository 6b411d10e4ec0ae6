import ArgumentParser
import DrivingData
import Foundation

/// `Video run1 [--fps 60]`: like video.py, turns the sorted frames of a folder into `run1.mp4`.
/// With ffmpeg on the PATH the frames are piped to it (H.264, yuv420p, plays everywhere);
/// without it, or with `--format avi`, a Motion-JPEG AVI is written by Drive itself (`run1.avi`),
/// copying the JPEG frames unchanged.
@main
struct VideoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "Video", abstract: "Make a video from a folder of driving frames (like video.py).")

  @Argument(help: "Folder of .jpg frames, e.g. run1 (written by `Drive model.h5 run1`).")
  var imageFolder: String

  @Option(help: "Frames per second.")
  var fps: Int = 60

  @Option(
    help: "mp4 (through ffmpeg) or avi (Motion-JPEG, no encoder needed). Default: mp4 if ffmpeg is found.")
  var format: String?

  @Option(help: "Output file. Default: <folder>.mp4 or <folder>.avi next to the folder.")
  var output: String?

  func run() throws {
    signal(SIGPIPE, SIG_IGN)  // a failing ffmpeg must surface as an error, not kill us
    let folder = imageFolder.hasSuffix("/") ? String(imageFolder.dropLast()) : imageFolder
    let frames = try FrameFolder.frames(in: folder)
    let ffmpeg = Self.findExecutable("ffmpeg")
    let chosen = format ?? (ffmpeg == nil ? "avi" : "mp4")
    let target = output ?? "\(folder).\(chosen)"
    switch chosen {
    case "mp4":
      guard let ffmpeg else {
        throw ValidationError("ffmpeg is not installed (apt-get install ffmpeg); use --format avi")
      }
      try Self.encodeWithFFmpeg(ffmpeg, frames: frames, fps: fps, output: target)
    case "avi":
      if format == nil { print("ffmpeg not found: writing Motion-JPEG AVI instead of mp4") }
      let size = try FrameFolder.frameSize(frames[0])
      try MotionJPEGWriter.write(frames: frames, width: size.width, height: size.height, fps: fps, to: target)
    default:
      throw ValidationError("--format must be mp4 or avi")
    }
    print(
      "\(target): \(frames.count) frames at \(fps) fps (\(String(format: "%.1f", Double(frames.count) / Double(fps))) s)"
    )
  }

  static func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }

  /// Frames go to ffmpeg's stdin as an image2pipe stream; ffmpeg sizes the video from them.
  static func encodeWithFFmpeg(_ ffmpeg: String, frames: [String], fps: Int, output: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ffmpeg)
    process.arguments = [
      "-hide_banner", "-loglevel", "error", "-y", "-f", "image2pipe", "-framerate", String(fps), "-c:v",
      "mjpeg",
      "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
      "-movflags", "+faststart", output,
    ]
    let input = Pipe()
    process.standardInput = input
    try process.run()
    let writer = input.fileHandleForWriting
    for path in frames {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path)")
      }
      try writer.write(contentsOf: data)
    }
    try writer.close()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError("ffmpeg failed with status \(process.terminationStatus)")
    }
  }
}
