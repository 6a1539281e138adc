import Foundation
import TestSupport
import Testing

@testable import Trend

@Suite struct TrendTests {
    @Test func theilSenFollowsASteadyClimbAndIgnoresSpikes() throws {
        // A leak of 100 per minute under spikes 40x the whole climb, late in the run.
        var points: [(x: Double, y: Double)] = []
        for i in 0..<120 {
            let minutes = Double(i) / 12
            points.append((x: minutes, y: 4_600 + 100 * minutes))
        }
        for i in [90, 100, 110, 115, 119] { points[i].y += 40_000 }
        let line = try #require(RobustLine(fitting: points))
        #expect(abs(line.slope - 100) < 1e-9)
        #expect(abs(line.intercept - 4_600) < 1e-9)
        // Least squares on the same points would be far off: the property the estimator is for.
        let n = Double(points.count)
        var mx = 0.0
        var my = 0.0
        for p in points {
            mx += p.x / n
            my += p.y / n
        }
        var sxy = 0.0
        var sxx = 0.0
        for p in points {
            sxy += (p.x - mx) * (p.y - my)
            sxx += (p.x - mx) * (p.x - mx)
        }
        #expect(abs(sxy / sxx - 100) > 100)
    }

    @Test func aFlatBaselineWithBusyMomentsHasSlopeZero() throws {
        var points = (0..<60).map { (x: Double($0) / 12, y: 31_489.0) }
        points[15].y = 30_324
        points[31].y = 31_398
        points[50].y = 31_366
        #expect(try #require(RobustLine(fitting: points)).slope == 0)
    }

    @Test func tooFewPointsHaveNoLine() {
        #expect(RobustLine(fitting: []) == nil)
        #expect(RobustLine(fitting: [(x: 1, y: 2)]) == nil)
        #expect(RobustLine(fitting: [(x: 1, y: 2), (x: 1, y: 5)]) == nil)
    }

    @Test func fieldsAreTheLinesWholeNumbers() {
        let fields = TrendSeries.fields(of: "heartbeat: uptime_ms=1007 cpus=4 heap.bytes=5680 note=x frames.free=-3 bare")
        #expect(fields == ["uptime_ms": 1007, "cpus": 4, "heap.bytes": 5680, "frames.free": -3])
    }

    @Test func seriesStaysBoundedAndEvenlyThinned() {
        var series = TrendSeries(keys: ["a", "b"], capacity: 8)
        for i in 0..<100 { series.record(time: Double(i) * 60, fields: ["a": Int64(i)]) }
        #expect(series.linesSeen == 100)
        #expect(series.samples.count < 8)
        let xs = series.points(of: "a").map(\.x)
        let gaps = Set(zip(xs, xs.dropFirst()).map { $1 - $0 })
        #expect(gaps.count == 1, "evenly spaced: \(xs)")
        #expect(series.points(of: "b").isEmpty)
        #expect(series.points(of: "c").isEmpty)
    }

    @Test func plotIsWellFormedSVGWithOnePanelPerKey() throws {
        let points: [(x: Double, y: Double)] = (0..<30).map { i in (x: Double(i) / 6, y: Double(100 + i * 3)) }
        let svg = TrendPlot.svg(
            title: "soak <seed 7> & more",
            panels: [
                TrendPanel(
                    key: "heap.bytes", points: points, line: RobustLine(fitting: points), boundText: "bound at most 10/min",
                    withinBound: false),
                TrendPanel(key: "stacks", points: [], line: nil, boundText: "bound at most 1/min", withinBound: false),
            ])
        #expect(svg.components(separatedBy: "<g>").count - 1 == 2)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(svg.contains("slope 18/min"))
        #expect(svg.contains("soak &lt;seed 7&gt; &amp; more"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trend-\(getpid()).svg")
        try svg.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let lint = try Tool.run(["xmllint", "--noout", file.path])
        #expect(lint.status == 0, "\(lint.errors)")
    }

    @Test func formatKeepsTwoDecimalsAtMost() {
        #expect(TrendPlot.format(2048) == "2048")
        #expect(TrendPlot.format(-0.5) == "-0.5")
        #expect(TrendPlot.format(1.23456) == "1.23")
    }
}
