// Everything sent to and received from QEMU's monitor, with times, for the artifacts of a run.
import HostSystem

public final class QMPTranscript {
    public enum Direction: String { case sent = ">>", received = "<<", note = "--" }

    public struct Entry {
        public let seconds: Double
        public let direction: Direction
        public let text: String
    }

    /// Enough for any scenario's conversation; a runaway one keeps its first entries.
    public static let maximumEntries = 20_000

    public private(set) var entries: [Entry] = []
    private let start: MonotonicInstant

    public init(start: MonotonicInstant = .now) { self.start = start }

    public func record(_ direction: Direction, _ text: String) {
        guard entries.count < Self.maximumEntries else { return }
        let trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        entries.append(Entry(seconds: MonotonicInstant.now.seconds(since: start), direction: direction, text: trimmed))
    }

    /// One line per message: `[   1.234] >> {"execute": ...}`.
    public var text: String {
        entries.map { entry in
            let time = String(entry.seconds.formatted3).leftPadded(to: 9)
            return "[\(time)] \(entry.direction.rawValue) \(entry.text)"
        }.joined(separator: "\n") + (entries.isEmpty ? "" : "\n")
    }
}

extension Double {
    /// Fixed three decimals without Foundation's formatters.
    var formatted3: String {
        let millis = Int64((self * 1000).rounded())
        let sign = millis < 0 ? "-" : ""
        let magnitude = abs(millis)
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
