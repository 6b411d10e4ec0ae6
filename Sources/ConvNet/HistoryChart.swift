// The loss curves as an SVG line chart (loss and val_loss per epoch, log scale, rollbacks marked),
// for people who would rather look than read the CSV.
import Foundation

extension TrainingHistory {
  public func svg(width: Int = 640, height: Int = 360) -> String {
    let pad = 48.0
    let w = Double(width) - 2 * pad
    let h = Double(height) - 2 * pad
    let values = records.flatMap { [$0.loss] + ($0.valLoss.map { [$0] } ?? []) }.filter {
      $0.isFinite && $0 > 0
    }
    let lo = log10(Double(values.min() ?? 1e-3))
    let hi = max(log10(Double(values.max() ?? 1)), lo + 1e-6)
    let lastEpoch = Double(max(records.map(\.epoch).max() ?? 1, 2))
    func x(_ epoch: Int) -> Double { pad + (Double(epoch) - 1) / (lastEpoch - 1) * w }
    func y(_ v: Float) -> Double { pad + (1 - (log10(Double(v)) - lo) / (hi - lo)) * h }
    func path(_ points: [(Int, Float)]) -> String {
      points.filter { $0.1.isFinite && $0.1 > 0 }.enumerated()
        .map {
          "\($0.offset == 0 ? "M" : "L")\(String(format: "%.1f,%.1f", x($0.element.0), y($0.element.1)))"
        }
        .joined(separator: " ")
    }
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <rect x="\(pad)" y="\(pad)" width="\(w)" height="\(h)" fill="none" stroke="#999"/>
      <text x="\(pad)" y="\(pad - 12)">MSE per epoch (log scale): loss (blue), val_loss (orange)</text>
      <text x="4" y="\(pad + 4)">\(String(format: "%.2g", pow(10, hi)))</text>
      <text x="4" y="\(pad + h)">\(String(format: "%.2g", pow(10, lo)))</text>
      <text x="\(pad)" y="\(Double(height) - 16)">epoch 1</text>
      <text x="\(pad + w - 50)" y="\(Double(height) - 16)">epoch \(Int(lastEpoch))</text>

      """
    s +=
      "<path d=\"\(path(records.map { ($0.epoch, $0.loss) }))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
    let val = records.compactMap { r in r.valLoss.map { (r.epoch, $0) } }
    if !val.isEmpty {
      s += "<path d=\"\(path(val))\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>\n"
    }
    for r in records where r.event?.hasPrefix("rollback") == true {
      s +=
        "<line x1=\"\(x(r.epoch))\" y1=\"\(pad)\" x2=\"\(x(r.epoch))\" y2=\"\(pad + h)\" stroke=\"red\" stroke-dasharray=\"4\"/>\n"
      s += "<text x=\"\(x(r.epoch) + 3)\" y=\"\(pad + 14)\" fill=\"red\">rollback</text>\n"
    }
    if let b = bestEpoch {
      s +=
        "<circle cx=\"\(x(b))\" cy=\"\(y(bestLoss ?? 1))\" r=\"5\" fill=\"none\" stroke=\"green\" stroke-width=\"2\"/>\n"
    }
    return s + "</svg>\n"
  }
}
