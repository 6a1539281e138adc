// A scenario's `trend:` judged at the end of a run: a line fitted through each bounded figure,
// its slope against the bounds, the figures for the report, and the SVG plot for the artifacts.
import Scenario
import Trend

struct TrendCheck {
    /// Why the run fails, or nil.
    let failure: String?
    let properties: [(name: String, value: String)]
    let svg: String

    init(_ spec: TrendSpec, series: TrendSeries?, scenario: String, seed: UInt64) {
        let series = series ?? TrendSeries(keys: spec.keys)
        var problems: [String] = []
        var properties: [(String, String)] = [("trend.samples", String(series.samples.count))]
        if series.samples.count < spec.minimumSamples {
            problems.append("only \(series.samples.count) samples of \(spec.pattern) (at least \(spec.minimumSamples) needed)")
        }
        var panels: [TrendPanel] = []
        for bound in spec.bounds {
            let points = series.points(of: bound.key)
            let line = RobustLine(fitting: points)
            let within = line.map { bound.admits($0.slope) } ?? false
            if let line {
                properties.append(("trend.\(bound.key).slope_per_min", TrendPlot.format(line.slope)))
                if !within {
                    problems.append(
                        "\(bound.key) slope \(TrendPlot.format(line.slope))/min over \(points.count) samples, bound \(bound.description) (line \(bound.line))"
                    )
                }
            } else if series.samples.count >= spec.minimumSamples {
                problems.append("\(bound.key) is missing from the sampled lines (keys are the line's key=value names)")
            }
            panels.append(
                TrendPanel(
                    key: bound.key, points: points, line: line,
                    boundText: "bound \(bound.description)", withinBound: within))
        }
        failure = problems.isEmpty ? nil : "trend: " + problems.joined(separator: "; ")
        self.properties = properties
        svg = TrendPlot.svg(title: "\(scenario) seed \(seed): \(spec.pattern) figures, Theil-Sen fit per minute", panels: panels)
    }
}
