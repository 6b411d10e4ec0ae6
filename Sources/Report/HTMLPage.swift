// A self-contained HTML report page: sections of paragraphs, tables, figures, preformatted text
// and video, rendered to one string. Pictures are files beside the page (relative paths) or inline SVG.
import Foundation

/// One block of a section, in reading order.
public enum ReportBlock: Sendable, Equatable {
  case paragraph(String)
  /// First row is the header.
  case table([[String]])
  /// An image file (PNG/SVG) relative to the page, with a caption.
  case figure(source: String, caption: String, width: Int? = nil)
  /// Figures side by side, each with a short caption.
  case gallery([(source: String, caption: String)], thumbnailWidth: Int)
  /// SVG markup placed inline (charts), with a caption.
  case svg(String, caption: String)
  case preformatted(String)
  case video(source: String, caption: String)
  /// A note in a highlighted box (e.g. what is missing and why).
  case note(String)

  public static func == (a: ReportBlock, b: ReportBlock) -> Bool { a.html == b.html }
}

public struct ReportSection: Sendable {
  public var title: String
  public var blocks: [ReportBlock]

  public init(title: String, blocks: [ReportBlock] = []) {
    self.title = title
    self.blocks = blocks
  }
}

public struct ReportPage: Sendable {
  public var title: String
  public var subtitle: String
  public var sections: [ReportSection]

  public init(title: String, subtitle: String = "", sections: [ReportSection] = []) {
    self.title = title
    self.subtitle = subtitle
    self.sections = sections
  }

  /// Every image file the page refers to (figures and galleries), in order.
  public var imageSources: [String] {
    sections.flatMap(\.blocks).flatMap { block -> [String] in
      switch block {
      case .figure(let source, _, _): [source]
      case .gallery(let items, _): items.map(\.source)
      default: []
      }
    }
  }

  public func render() -> String {
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(escapeHTML(title))</title>
      <style>\(ReportPage.style)</style>
      </head>
      <body>
      <h1>\(escapeHTML(title))</h1>

      """
    if !subtitle.isEmpty { html += "<p class=\"subtitle\">\(escapeHTML(subtitle))</p>\n" }
    html += "<nav><ul>"
    for (i, s) in sections.enumerated() {
      html += "<li><a href=\"#s\(i + 1)\">\(escapeHTML(s.title))</a></li>"
    }
    html += "</ul></nav>\n"
    for (i, s) in sections.enumerated() {
      html += "<section id=\"s\(i + 1)\">\n<h2>\(escapeHTML(s.title))</h2>\n"
      for block in s.blocks { html += block.html + "\n" }
      html += "</section>\n"
    }
    return html + "</body>\n</html>\n"
  }

  static let style = """
    body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
    h1{margin-bottom:0}.subtitle{color:#666;margin-top:.3em}
    nav ul{list-style:none;padding:0;display:flex;gap:1.5em}
    section{border-top:1px solid #ddd;margin-top:2em}
    table{border-collapse:collapse;margin:1em 0;font-size:.9em}
    td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
    th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
    figure{margin:1em 0}figcaption{color:#555;font-size:.9em}
    .gallery{display:flex;flex-wrap:wrap;gap:.6em}.gallery figure{margin:0}
    .gallery img{image-rendering:pixelated}
    pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}
    .note{background:#fff6d6;border-left:4px solid #e0b000;padding:.5em 1em}
    """
}

extension ReportBlock {
  var html: String {
    switch self {
    case .paragraph(let text):
      return "<p>\(escapeHTML(text))</p>"
    case .table(let rows):
      guard let header = rows.first else { return "" }
      var s =
        "<table><thead><tr>" + header.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead><tbody>"
      for row in rows.dropFirst() {
        s += "<tr>" + row.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>"
      }
      return s + "</tbody></table>"
    case .figure(let source, let caption, let width):
      let w = width.map { " width=\"\($0)\"" } ?? ""
      return "<figure><img src=\"\(escapeHTML(source))\" alt=\"\(escapeHTML(caption))\"\(w)>"
        + "<figcaption>\(escapeHTML(caption))</figcaption></figure>"
    case .gallery(let items, let width):
      return "<div class=\"gallery\">"
        + items.map {
          "<figure><img src=\"\(escapeHTML($0.source))\" alt=\"\(escapeHTML($0.caption))\" width=\"\(width)\">"
            + "<figcaption>\(escapeHTML($0.caption))</figcaption></figure>"
        }.joined() + "</div>"
    case .svg(let markup, let caption):
      return "<figure>\(stripXMLDeclaration(markup))<figcaption>\(escapeHTML(caption))</figcaption></figure>"
    case .preformatted(let text):
      return "<pre>\(escapeHTML(text))</pre>"
    case .video(let source, let caption):
      return "<figure><video src=\"\(escapeHTML(source))\" controls muted loop width=\"640\"></video>"
        + "<figcaption>\(escapeHTML(caption)) (<a href=\"\(escapeHTML(source))\">file</a>)</figcaption></figure>"
    case .note(let text):
      return "<p class=\"note\">\(escapeHTML(text))</p>"
    }
  }
}

/// Escapes text for HTML element content and double-quoted attribute values.
public func escapeHTML(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for c in text {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}

/// Inline SVG must not carry an XML declaration.
func stripXMLDeclaration(_ svg: String) -> String {
  guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
  return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
}
