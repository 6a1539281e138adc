// A trend series as an SVG picture: one panel per key, the samples as a line, the fitted line
// dashed over them, and in each title the slope per minute against its bound. Kept in the run's
// artifacts so a leak is visible at a glance (a climbing line, a red title).
import HostSystem

public struct TrendPanel {
    public let key: String
    public let points: [(x: Double, y: Double)]
    public let line: RobustLine?
    /// e.g. "bound: at most 2048/min".
    public let boundText: String
    public let withinBound: Bool

    public init(key: String, points: [(x: Double, y: Double)], line: RobustLine?, boundText: String, withinBound: Bool) {
        self.key = key
        self.points = points
        self.line = line
        self.boundText = boundText
        self.withinBound = withinBound
    }
}

public enum TrendPlot {
    static let width = 760.0, panelHeight = 170.0
    static let left = 80.0, right = 20.0, top = 28.0, bottom = 30.0

    public static func svg(title: String, panels: [TrendPanel]) -> String {
        let height = 30 + panelHeight * Double(panels.count)
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="10" y="18" font-size="13" font-weight="bold">\(escaped(title))</text>

            """
        for (index, panel) in panels.enumerated() {
            out += draw(panel, originY: 30 + panelHeight * Double(index))
        }
        return out + "</svg>\n"
    }

    private static func draw(_ panel: TrendPanel, originY: Double) -> String {
        let xs = panel.points.map(\.x)
        let ys = panel.points.map(\.y)
        let x0 = 0.0
        let x1 = max(xs.max() ?? 1, 1e-9)
        var y0 = ys.min() ?? 0
        var y1 = ys.max() ?? 1
        if y1 - y0 < 1 {
            y0 -= 1
            y1 += 1
        }
        let plotW = width - left - right
        let plotH = panelHeight - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { originY + top + (1 - (y - y0) / (y1 - y0)) * plotH }

        let slope = panel.line.map { "slope \(format($0.slope))/min" } ?? "no fit (too few samples)"
        let colour = panel.withinBound ? "#1a7f37" : "#cf222e"
        var out = """
            <g>
            <text x="\(left)" y="\(originY + 18)" fill="\(colour)">\(escaped(panel.key)): \(escaped(slope)), \(escaped(panel.boundText)), \(panel.points.count) samples</text>
            <rect x="\(left)" y="\(originY + top)" width="\(plotW)" height="\(plotH)" fill="none" stroke="#999"/>
            <text x="\(left - 4)" y="\(py(y1) + 4)" text-anchor="end">\(format(y1))</text>
            <text x="\(left - 4)" y="\(py(y0) + 4)" text-anchor="end">\(format(y0))</text>
            <text x="\(left)" y="\(originY + top + plotH + 14)">0 min</text>
            <text x="\(left + plotW)" y="\(originY + top + plotH + 14)" text-anchor="end">\(format(x1)) min</text>

            """
        if !panel.points.isEmpty {
            let path = panel.points.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1\" points=\"\(path)\"/>\n"
        }
        if let line = panel.line {
            let a = (px(x0), py(min(max(line.value(at: x0), y0), y1)))
            let b = (px(x1), py(min(max(line.value(at: x1), y0), y1)))
            out +=
                "<line x1=\"\(format(a.0))\" y1=\"\(format(a.1))\" x2=\"\(format(b.0))\" y2=\"\(format(b.1))\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
        }
        return out + "</g>\n"
    }

    /// Up to two decimals, no trailing zeros: 2048, 0.5, -12.25.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int64(rounded)) }
        var text = String(rounded)
        if let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
            text = String(text[..<text.index(dot, offsetBy: 3)])
        }
        return text
    }

    static func escaped(_ text: String) -> String { XMLText.escaped(text, attribute: true) }
}
