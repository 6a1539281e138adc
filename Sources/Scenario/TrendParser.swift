// The `trend:` key of a scenario file (see TrendSpec and docs/scenarios.md).
import Yams

extension ScenarioParser {
    static let trendKeys = ["pattern", "after", "plot", "min-samples", "slopes"]

    static func parseTrend(_ node: Node, reader: YAMLReader) throws -> TrendSpec {
        let mapping = try reader.mapping(node, "trend")
        try mapping.check(allowed: trendKeys)
        let plot = try mapping["plot"].map { try reader.string($0, "trend.plot") } ?? "trend.svg"
        guard plot.hasSuffix(".svg"), !plot.hasPrefix("."), plot.count <= 100,
            plot.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        else {
            throw reader.error(
                mapping["plot"], "trend.plot must be a plain file name ending in .svg (letters, digits, - _ .), not '\(plot)'")
        }
        let slopesNode = try mapping.required("slopes")
        let slopes = try reader.mapping(slopesNode, "trend.slopes")
        guard !slopes.keys.isEmpty else { throw reader.error(slopesNode, "trend.slopes names no figure") }
        var bounds: [SlopeBound] = []
        for key in slopes.keys {
            let boundNode = slopes[key]!
            let what = "trend.slopes.\(key)"
            let bound = try reader.mapping(boundNode, what)
            try bound.check(allowed: ["at-most", "at-least"])
            let atMost = try bound["at-most"].map { try reader.number($0, "\(what).at-most") }
            let atLeast = try bound["at-least"].map { try reader.number($0, "\(what).at-least") }
            guard atMost != nil || atLeast != nil else {
                throw reader.error(boundNode, "\(what) needs at-most or at-least (units per minute)")
            }
            if let atMost, let atLeast, atLeast > atMost {
                throw reader.error(boundNode, "\(what): at-least \(atLeast) is above at-most \(atMost)")
            }
            bounds.append(SlopeBound(key: key, atMost: atMost, atLeast: atLeast, line: boundNode.mark?.line ?? 1))
        }
        return TrendSpec(
            pattern: try reader.pattern(try mapping.required("pattern"), "trend.pattern"),
            after: try mapping["after"].map { try reader.pattern($0, "trend.after") },
            plot: plot,
            minimumSamples: Int(
                try mapping["min-samples"].map { try reader.integer($0, "trend.min-samples", range: 3...100_000) } ?? 10),
            bounds: bounds)
    }
}
