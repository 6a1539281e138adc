// Figures sampled from a run's serial lines over time (`heartbeat: heap.bytes=... frames.free=...`),
// for a scenario's `trend:`. Memory stays bounded however long the run: past `capacity` samples
// every other one is dropped and only every second later sample is kept (the series thins out
// evenly instead of growing).

public struct TrendSeries {
    public struct Sample: Equatable {
        /// Seconds since the run started.
        public let time: Double
        /// One value per key, nil where the line lacked the key.
        public let values: [Double?]
    }

    public let keys: [String]
    public let capacity: Int
    public private(set) var samples: [Sample] = []
    /// Lines seen that matched (kept or thinned out).
    public private(set) var linesSeen = 0
    private var stride = 1

    public init(keys: [String], capacity: Int = 2048) {
        precondition(capacity >= 2)
        self.keys = keys
        self.capacity = capacity
    }

    /// Records the keys' values from a figure line's `key=value` integers.
    public mutating func record(time: Double, fields: [String: Int64]) {
        linesSeen += 1
        guard (linesSeen - 1) % stride == 0 else { return }
        samples.append(Sample(time: time, values: keys.map { fields[$0].map(Double.init) }))
        if samples.count >= capacity {
            samples = samples.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            stride *= 2
        }
    }

    /// The (time in minutes, value) points of one key.
    public func points(of key: String) -> [(x: Double, y: Double)] {
        guard let k = keys.firstIndex(of: key) else { return [] }
        return samples.compactMap { s in s.values[k].map { (s.time / 60, $0) } }
    }

    /// `key=value` integers of a figure line (`mm: stats heap.bytes=4096 ...`); words without
    /// `=` or with a value that is not a whole number are skipped.
    public static func fields(of line: String) -> [String: Int64] {
        var fields: [String: Int64] = [:]
        for word in line.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int64(parts[1]) { fields[String(parts[0])] = value }
        }
        return fields
    }
}
