import Foundation
import Testing

@testable import Report

@Suite struct HTMLPageTests {
  @Test func escapesMarkupInTextAndAttributes() {
    #expect(escapeHTML("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
    let page = ReportPage(
      title: "<script>",
      sections: [ReportSection(title: "S", blocks: [.figure(source: "x\".png", caption: "<i>")])])
    let html = page.render()
    #expect(!html.contains("<script>"))
    #expect(html.contains("src=\"x&quot;.png\""))
    #expect(html.contains("<figcaption>&lt;i&gt;</figcaption>"))
  }

  @Test func listsEveryPictureAndRendersEveryBlock() {
    let page = ReportPage(
      title: "T",
      sections: [
        ReportSection(
          title: "One",
          blocks: [
            .paragraph("p"), .table([["h1", "h2"], ["a", "b"]]),
            .figure(source: "a.png", caption: "A", width: 100),
            .gallery([("b.png", "B"), ("c.png", "C")], thumbnailWidth: 50),
          ]),
        ReportSection(
          title: "Two",
          blocks: [
            .svg("<?xml version=\"1.0\"?>\n<svg></svg>", caption: "chart"),
            .video(source: "v.mp4", caption: "V"), .note("n"),
          ]),
      ])
    #expect(page.imageSources == ["a.png", "b.png", "c.png"])
    let html = page.render()
    #expect(html.contains("<th>h1</th><th>h2</th>"))
    #expect(html.contains("<td>a</td><td>b</td>"))
    #expect(html.contains("<svg></svg>"))
    #expect(!html.contains("<?xml"))
    #expect(html.contains("<video src=\"v.mp4\""))
    #expect(html.contains("href=\"#s2\""))
    #expect(html.components(separatedBy: "<img ").count - 1 == 3)
  }
}
