import Testing

@testable import DrivingData

@Suite("Steering histogram")
struct SteeringHistogramTests {
  @Test func binsAreCentredOnTenths() {
    let h = SteeringHistogram([0, 0, 0.04, -0.04, 0.06, -1, 1, 1.2, 3, -7])
    #expect(h.counts.count == 25 && h.total == 10)
    #expect(h.counts[12] == 4)  // [-0.05, 0.05)
    #expect(h.counts[13] == 1)
    #expect(h.counts[2] == 1 && h.counts[22] == 1)  // -1 and 1
    #expect(h.counts[24] == 2 && h.counts[0] == 1 && h.outside == 2)
    #expect(abs(h.bin(12).from + 0.05) < 1e-6 && abs(h.bin(12).to - 0.05) < 1e-6)
  }

  @Test func textAndSVGShowTheCounts() {
    let h = SteeringHistogram([0, 0, 0, 0.5])
    let text = h.text(width: 10)
    #expect(text.contains("|##########|        3  75.0%"))
    #expect(text.contains("total 4"))
    let svg = SteeringHistogram.svg([("a <b>", h), ("c", SteeringHistogram([0.5]))], title: "T")
    #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    #expect(svg.contains("a &lt;b&gt; (4)"))
    #expect(svg.components(separatedBy: "<rect").count - 1 == 1 + 3 + 2)  // background, bars, legend
  }
}
