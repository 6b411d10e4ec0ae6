import Foundation
import Testing

@testable import Report

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite struct LineChartTests {
  func chart(logScale: Bool) -> LineChart {
    LineChart(
      title: "loss <&>", xLabel: "epoch", yLabel: "MSE",
      series: [
        ChartSeries(label: "loss", points: [(1, 0.1), (2, 0.01), (3, 0.001)], color: "#00f"),
        ChartSeries(label: "val", points: [(1, 0.05), (2, .nan), (3, 0.002)], color: "#f00"),
      ], logScale: logScale)
  }

  @Test func isWellFormedXML() throws {
    for log in [false, true] {
      let doc = try XMLDocument(xmlString: chart(logScale: log).svg())
      #expect(doc.rootElement()?.name == "svg")
      // One polyline for "loss", two for "val" (the NaN breaks it).
      #expect(try doc.nodes(forXPath: "//*[local-name()='polyline']").count == 3)
      #expect(try doc.nodes(forXPath: "//*[local-name()='circle']").count == 5)
    }
  }

  @Test func mapsExtremesToThePlotCorners() {
    let c = chart(logScale: true)
    let (x0, yTop) = c.position(x: 1, y: 0.1)
    let (x1, yBottom) = c.position(x: 3, y: 0.001)
    #expect(abs(x0 - 70) < 1e-9)
    #expect(abs(x1 - 620) < 1e-9)
    #expect(abs(yTop - 40) < 1e-9)
    #expect(abs(yBottom - 310) < 1e-9)
    // Log scale: 0.01 sits half way between 0.1 and 0.001.
    #expect(abs(c.position(x: 2, y: 0.01).1 - 175) < 1e-9)
    // Linear: 0.01 is near the bottom (range starts at 0 for positive data).
    #expect(chart(logScale: false).position(x: 2, y: 0.01).1 > 280)
  }

  @Test func ticksAreRoundAndInside() {
    #expect(niceTicks(0...1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
    #expect(niceTicks(1...10, integers: true) == [2, 4, 6, 8, 10])
    #expect(niceTicks(-3.2 ... -2.1).allSatisfy { (-3.2 ... -2.1).contains($0) })
    #expect(formatTick(0.001) == "0.001")
    #expect(formatTick(1e-5) == "1e-05")
  }

  @Test func singlePointStillDraws() throws {
    let c = LineChart(
      title: "t", xLabel: "x", yLabel: "y", series: [ChartSeries(label: "a", points: [(1, 2)], color: "red")])
    let doc = try XMLDocument(xmlString: c.svg())
    #expect(try doc.nodes(forXPath: "//*[local-name()='circle']").count == 1)
    let (x, y) = c.position(x: 1, y: 2)
    #expect(x.isFinite && y.isFinite)
  }
}
