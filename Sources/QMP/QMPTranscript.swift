// Everything sent to and received from QEMU's monitor, with times, for the artifacts of a run.
// Bounded in memory however chatty a run is: the first messages up to `headBytes`, then only
// the last `tailEntries` (each cut to `maximumEntryBytes`), and a count of what fell between.
import HostSystem

public final class QMPTranscript {
    public enum Direction: String { case sent = ">>", received = "<<", note = "--" }

    public struct Entry {
        public let seconds: Double
        public let direction: Direction
        public let text: String
    }

    /// Enough for any scenario's conversation; a runaway one keeps its head and its tail.
    public static let headBytes = 2 << 20
    public static let tailEntries = 200
    public static let maximumEntryBytes = 64 << 10

    private var kept = HeadAndTail<Entry>(tailCapacity: QMPTranscript.tailEntries)
    private var headSize = 0
    /// Bytes of the messages that fell between the head and the tail.
    public private(set) var droppedBytes = 0
    private let start: MonotonicInstant

    public init(start: MonotonicInstant = .now) { self.start = start }

    /// Every entry kept, oldest first (the gap, if any, between head and tail).
    public var entries: [Entry] { kept.all }
    public var head: [Entry] { kept.head }
    /// Messages that fell between the head and the tail.
    public var droppedEntries: Int { kept.droppedCount }

    public func record(_ direction: Direction, _ text: String) {
        var trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if trimmed.utf8.count > Self.maximumEntryBytes {
            let size = trimmed.utf8.count
            trimmed =
                String(decoding: trimmed.utf8.prefix(Self.maximumEntryBytes), as: UTF8.self)
                + " [... cut at \(Self.maximumEntryBytes) of \(size) bytes]"
        }
        let entry = Entry(seconds: MonotonicInstant.now.seconds(since: start), direction: direction, text: trimmed)
        let fitsHead = headSize + trimmed.utf8.count <= Self.headBytes
        let headCount = kept.head.count
        if let dropped = kept.append(entry, fitsHead: fitsHead) { droppedBytes += dropped.text.utf8.count }
        if kept.head.count > headCount { headSize += trimmed.utf8.count }
    }

    /// One line per message: `[   1.234] >> {"execute": ...}`.
    public var text: String {
        func line(_ entry: Entry) -> String {
            "[\(entry.seconds.fixed3.leftPadded(9))] \(entry.direction.rawValue) \(entry.text)\n"
        }
        var text = kept.head.map(line).joined()
        if droppedEntries > 0 {
            text +=
                "[... \(droppedEntries) messages (\(droppedBytes) bytes) left out: the transcript keeps \(Self.headBytes) bytes and the last \(Self.tailEntries) messages ...]\n"
        }
        return text + kept.tail.map(line).joined()
    }
}
