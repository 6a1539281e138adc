// `trend:` in a scenario: figures sampled from serial lines all run long (heartbeats), a line
// fitted through each (Theil-Sen, see Sources/Trend), and bounds on its slope per minute. A leak
// is a slope: heap bytes that climb, free frames that fall. The series is drawn as an SVG plot
// kept with the run's artifacts, passed or failed.

public struct TrendSpec {
    /// Lines sampled, e.g. `heartbeat:`; their `key=value` integers are the figures.
    public var pattern: Pattern
    /// Sampling starts after the first line matching this (e.g. the end of a warm-up).
    public var after: Pattern?
    /// File name of the plot in the run's artifacts folder.
    public var plot: String
    /// Fewer samples than this fail the run: a trend of three points proves nothing.
    public var minimumSamples: Int
    public var bounds: [SlopeBound]

    public var keys: [String] { bounds.map(\.key) }
}

/// Bounds on one figure's fitted slope, in units per minute.
public struct SlopeBound: Equatable {
    public let key: String
    public let atMost: Double?
    public let atLeast: Double?
    /// The line of the scenario file, for messages.
    public let line: Int

    public func admits(_ slope: Double) -> Bool {
        (atMost.map { slope <= $0 } ?? true) && (atLeast.map { slope >= $0 } ?? true)
    }

    /// "at most 2048/min", "at least -16/min and at most 16/min".
    public var description: String {
        var parts: [String] = []
        if let atLeast { parts.append("at least \(trim(atLeast))/min") }
        if let atMost { parts.append("at most \(trim(atMost))/min") }
        return parts.joined(separator: " and ")
    }

    private func trim(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
