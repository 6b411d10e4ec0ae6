// SVG line charts (loss curves, rates per epoch): axes with "nice" ticks, optional log scale, legend.
import Foundation

public struct ChartSeries: Sendable, Equatable {
  public var label: String
  /// (x, y) points; non-finite y values are skipped (a gap in the line).
  public var points: [(x: Double, y: Double)]
  /// CSS colour.
  public var color: String

  public init(label: String, points: [(x: Double, y: Double)], color: String) {
    self.label = label
    self.points = points
    self.color = color
  }

  public static func == (a: ChartSeries, b: ChartSeries) -> Bool {
    a.label == b.label && a.color == b.color
      && a.points.elementsEqual(b.points) { $0.x == $1.x && $0.y == $1.y }
  }
}

public struct LineChart: Sendable {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [ChartSeries]
  /// Log10 y axis (losses spanning decades); needs positive values.
  public var logScale: Bool
  public var width = 640
  public var height = 360

  public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries], logScale: Bool = false) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.logScale = logScale
  }

  // Plot area inside the picture.
  private var left: Double { 70 }
  private var right: Double { Double(width) - 20 }
  private var top: Double { 40 }
  private var bottom: Double { Double(height) - 50 }

  private var usable: [(x: Double, y: Double)] {
    series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logScale || $0.y > 0) }
  }

  /// Data ranges (x, y), y in log10 when `logScale`; padded so a single value still has a span.
  var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
    let pts = usable
    let xs = pts.map(\.x)
    let ys = pts.map { logScale ? log10($0.y) : $0.y }
    func span(_ v: [Double]) -> ClosedRange<Double> {
      guard let lo = v.min(), let hi = v.max() else { return 0...1 }
      if hi - lo < 1e-12 { return (lo - 0.5)...(hi + 0.5) }
      return lo...hi
    }
    var y = span(ys)
    if !logScale, y.lowerBound > 0, y.lowerBound < 0.3 * y.upperBound { y = 0...y.upperBound }
    return (span(xs), y)
  }

  /// Pixel position of a data point.
  func position(x: Double, y: Double) -> (Double, Double) {
    let r = ranges
    let yv = logScale ? log10(y) : y
    let px = left + (x - r.x.lowerBound) / (r.x.upperBound - r.x.lowerBound) * (right - left)
    let py = bottom - (yv - r.y.lowerBound) / (r.y.upperBound - r.y.lowerBound) * (bottom - top)
    return (px, py)
  }

  public func svg() -> String {
    let r = ranges
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
      font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(Double(width) / 2)" y="20" text-anchor="middle" font-size="14">\(escapeHTML(title))</text>

      """
    // Grid and ticks.
    for t in niceTicks(r.y) {
      let py = bottom - (t - r.y.lowerBound) / (r.y.upperBound - r.y.lowerBound) * (bottom - top)
      let label = logScale ? formatTick(pow(10, t)) : formatTick(t)
      s += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(right))\" y2=\"\(f(py))\" stroke=\"#e4e4e4\"/>"
      s += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(label)</text>\n"
    }
    for t in niceTicks(r.x, integers: true) {
      let px = left + (t - r.x.lowerBound) / (r.x.upperBound - r.x.lowerBound) * (right - left)
      s +=
        "<line x1=\"\(f(px))\" y1=\"\(f(bottom))\" x2=\"\(f(px))\" y2=\"\(f(bottom + 5))\" stroke=\"#333\"/>"
      s += "<text x=\"\(f(px))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(formatTick(t))</text>\n"
    }
    s +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#333\"/>\n"
    s +=
      "<text x=\"\(f((left + right) / 2))\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escapeHTML(xLabel))</text>\n"
    s +=
      "<text transform=\"translate(16 \(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">"
      + "\(escapeHTML(yLabel + (logScale ? " (log scale)" : "")))</text>\n"
    // Lines (broken at gaps) and markers.
    for line in series {
      var segments: [[(Double, Double)]] = [[]]
      for p in line.points {
        if p.x.isFinite, p.y.isFinite, !logScale || p.y > 0 {
          segments[segments.count - 1].append(position(x: p.x, y: p.y))
        } else if !segments[segments.count - 1].isEmpty {
          segments.append([])
        }
      }
      for seg in segments where !seg.isEmpty {
        let pts = seg.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(pts)\"/>\n"
        for (x, y) in seg { s += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3\" fill=\"\(line.color)\"/>" }
        s += "\n"
      }
    }
    // Legend.
    for (i, line) in series.enumerated() {
      let y = top + 14 + Double(i) * 18
      s +=
        "<line x1=\"\(f(right - 150))\" y1=\"\(f(y - 4))\" x2=\"\(f(right - 130))\" y2=\"\(f(y - 4))\" stroke=\"\(line.color)\" stroke-width=\"3\"/>"
      s += "<text x=\"\(f(right - 124))\" y=\"\(f(y))\">\(escapeHTML(line.label))</text>\n"
    }
    return s + "</svg>\n"
  }
}

/// About five round tick values inside `range` (1, 2 or 5 times a power of ten apart).
func niceTicks(_ range: ClosedRange<Double>, integers: Bool = false) -> [Double] {
  let span = range.upperBound - range.lowerBound
  guard span > 0, span.isFinite else { return [range.lowerBound] }
  let raw = span / 5
  let magnitude = pow(10, floor(log10(raw)))
  var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
  if integers { step = max(step.rounded(.up), 1) }
  var t = (range.lowerBound / step).rounded(.up) * step
  var ticks: [Double] = []
  while t <= range.upperBound + step * 1e-9 {
    ticks.append(abs(t) < step * 1e-9 ? 0 : t)
    t += step
  }
  return ticks
}

func formatTick(_ v: Double) -> String {
  if v == 0 { return "0" }
  if abs(v) >= 1e4 || abs(v) < 1e-3 { return String(format: "%.0e", v) }
  if v == v.rounded() { return String(Int(v)) }
  return String(format: "%g", (v * 1e4).rounded() / 1e4)
}

private func f(_ v: Double) -> String { String(format: "%.1f", v) }
