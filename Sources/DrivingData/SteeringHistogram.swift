// Steering distributions as text and as an SVG picture: keyboard recordings are mostly zeros,
// and a reader should see at a glance what balancing and augmentation did to that.

/// Counts of steering values in equal bins over `lower..<upper`; values outside land in the edge bins.
public struct SteeringHistogram: Sendable, Equatable {
  public let lower: Float
  public let upper: Float
  public private(set) var counts: [Int]
  public private(set) var total = 0
  /// Values below `lower` or at/above `upper` (also counted in the edge bins).
  public private(set) var outside = 0

  /// Default bins are 0.1 wide and centred on multiples of 0.1, so 0 has its own bin.
  public init(_ values: some Sequence<Float> = [], bins: Int = 25, lower: Float = -1.25, upper: Float = 1.25)
  {
    precondition(bins > 0 && upper > lower, "histogram needs bins and a range")
    self.lower = lower
    self.upper = upper
    counts = [Int](repeating: 0, count: bins)
    for value in values { add(value) }
  }

  public mutating func add(_ value: Float) {
    guard value.isFinite else { return }
    let position = (value - lower) / (upper - lower) * Float(counts.count)
    if position < 0 || position >= Float(counts.count) { outside += 1 }
    counts[min(max(Int(position.rounded(.down)), 0), counts.count - 1)] += 1
    total += 1
  }

  /// The range `[from, to)` of bin `index`.
  public func bin(_ index: Int) -> (from: Float, to: Float) {
    let width = (upper - lower) / Float(counts.count)
    return (lower + Float(index) * width, lower + Float(index + 1) * width)
  }

  /// One line per bin: range, a bar scaled to `width` characters, count and share.
  public func text(width: Int = 50) -> String {
    let largest = max(counts.max() ?? 0, 1)
    var lines: [String] = []
    for (i, count) in counts.enumerated() {
      let (from, to) = bin(i)
      let bar = String(repeating: "#", count: count * width / largest)
      let share = total > 0 ? Double(count) * 100 / Double(total) : 0
      lines.append(
        "\(fixed(from, 2).leftPad(6)) ..< \(fixed(to, 2).leftPad(5)) |\(bar.rightPad(width))| \(String(count).leftPad(8)) \(fixed(Float(share), 1).leftPad(5))%"
      )
    }
    lines.append(
      "total \(total)"
        + (outside > 0
          ? ", \(outside) outside [\(fixed(lower, 2)), \(fixed(upper, 2))) counted at the edges" : ""))
    return lines.joined(separator: "\n")
  }

  /// Grouped bars of several histograms (same bins) as a standalone SVG document; each series is
  /// shown as a share of its own total so sets of different sizes compare.
  public static func svg(_ series: [(label: String, histogram: SteeringHistogram)], title: String) -> String {
    let colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    let (width, height) = (900.0, 420.0)
    let (left, right, top, bottom) = (60.0, 20.0, 50.0, 60.0)
    let bins = series.first?.histogram.counts.count ?? 1
    let shares = series.map { s in
      s.histogram.counts.map { s.histogram.total > 0 ? Double($0) / Double(s.histogram.total) : 0 }
    }
    let peak = max(shares.flatMap { $0 }.max() ?? 0, 1e-9)
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    let group = plotWidth / Double(bins)
    let bar = group * 0.85 / Double(max(series.count, 1))
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(width / 2)" y="22" text-anchor="middle" font-size="16">\(escape(title))</text>

      """
    for tick in 0...4 {
      let share = peak * Double(tick) / 4
      let y = top + plotHeight * (1 - share / peak)
      svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - right)\" y2=\"\(y)\" stroke=\"#ddd\"/>"
      svg +=
        "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(fixed(Float(share * 100), 1))%</text>\n"
    }
    for (s, values) in shares.enumerated() {
      for (i, value) in values.enumerated() where value > 0 {
        let x = left + Double(i) * group + group * 0.075 + Double(s) * bar
        let h = plotHeight * value / peak
        svg +=
          "<rect x=\"\(x)\" y=\"\(top + plotHeight - h)\" width=\"\(bar)\" height=\"\(h)\" fill=\"\(colours[s % colours.count])\"/>\n"
      }
    }
    if let histogram = series.first?.histogram {
      for i in stride(from: 0, through: bins, by: max(1, bins / 10)) {
        let x = left + Double(i) * group
        let value = i < bins ? histogram.bin(i).from : histogram.upper
        svg +=
          "<text x=\"\(x)\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(fixed(value, 2))</text>\n"
      }
    }
    svg +=
      "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 14)\" text-anchor=\"middle\">steering (normalized)</text>\n"
    for (s, item) in series.enumerated() {
      let y = top + 4 + Double(s) * 18
      svg +=
        "<rect x=\"\(width - right - 230)\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(colours[s % colours.count])\"/>"
      svg +=
        "<text x=\"\(width - right - 212)\" y=\"\(y + 10)\">\(escape(item.label)) (\(item.histogram.total))</text>\n"
    }
    return svg + "</svg>\n"
  }
}

private func escape(_ text: String) -> String {
  text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
}

/// `value` with `digits` decimals, without Foundation.
package func fixed(_ value: Float, _ digits: Int) -> String {
  var scale: Float = 1
  for _ in 0..<digits { scale *= 10 }
  let scaled = Int((abs(value) * scale).rounded())
  let whole = scaled / Int(scale)
  let fraction = String(scaled % Int(scale))
  let sign = value < 0 && scaled != 0 ? "-" : ""
  if digits == 0 { return sign + String(whole) }
  return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}

extension String {
  package func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
  package func rightPad(_ width: Int) -> String {
    self + String(repeating: " ", count: max(0, width - count))
  }
  package func replacingAll(_ target: Character, _ replacement: String) -> String {
    var out = ""
    for c in self { if c == target { out += replacement } else { out.append(c) } }
    return out
  }
}
