import Foundation
import Testing

@testable import Report

/// Opens the rendered page in headless Chromium and counts what actually loaded.
@Suite struct BrowserRenderTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

  @Test func everyPictureLoadsInChromium() throws {
    let browser = try #require(
      Self.chromium, "chromium is missing: run `make test` (its test-deps install it)")
    let dir = try makeReportFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = ReportFolder(path: dir)
    let page = ReportPage(
      title: "t",
      sections: [
        try folder.datasetSection(), try folder.trainingSection(), try folder.modelSection(),
        try folder.driveSection(),
      ])
    // The page as written, plus a script that records what the browser made of it.
    let probe = """
      <script>
      window.addEventListener('load', () => {
        const images = [...document.images];
        document.body.setAttribute('data-images', images.length);
        document.body.setAttribute('data-loaded', images.filter(i => i.complete && i.naturalWidth > 0).length);
        document.body.setAttribute('data-svgs', document.querySelectorAll('svg').length);
        document.body.setAttribute('data-rows', document.querySelectorAll('tr').length);
      });
      </script>
      """
    let html = page.render().replacingOccurrences(of: "</body>", with: probe + "</body>")
    try html.write(toFile: dir + "/check.html", atomically: true, encoding: .utf8)

    let dom = try run(
      browser,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000", "--user-data-dir=\(dir)/profile", "--dump-dom",
        "file://\(dir)/check.html",
      ])
    func attribute(_ name: String) -> Int? {
      guard let r = dom.range(of: "\(name)=\""), let end = dom[r.upperBound...].firstIndex(of: "\"") else {
        return nil
      }
      return Int(dom[r.upperBound..<end])
    }
    let images = try #require(attribute("data-images"), "the probe did not run: \(dom.prefix(300))")
    #expect(images == page.imageSources.count)
    #expect(attribute("data-loaded") == images)
    #expect((attribute("data-svgs") ?? 0) >= 2)  // histograms + loss chart
    #expect((attribute("data-rows") ?? 0) > 10)

    // And the check can fail: a picture removed from the folder is seen as not loaded.
    try FileManager.default.removeItem(atPath: dir + "/crop.png")
    let broken = try run(
      browser,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000", "--user-data-dir=\(dir)/profile", "--dump-dom",
        "file://\(dir)/check.html",
      ])
    #expect(broken.contains("data-loaded=\"\(images - 1)\""))
  }

  func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
