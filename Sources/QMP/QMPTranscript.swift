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
            let time = entry.seconds.fixed3.leftPadded(9)
            return "[\(time)] \(entry.direction.rawValue) \(entry.text)"
        }.joined(separator: "\n") + (entries.isEmpty ? "" : "\n")
    }
}
