// Repeated measurements of one figure and what the report says about them: median, min, max.

public struct Samples: Codable, Equatable {
    public let values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public var count: Int { values.count }
    public var minimum: Double { values.min() ?? .nan }
    public var maximum: Double { values.max() ?? .nan }
    /// (max − min) / median in percent: 0 when every run measured the same value.
    public var spreadPercent: Double {
        guard !values.isEmpty else { return .nan }
        let middle = median
        return middle == 0 ? (maximum == minimum ? 0 : .infinity) : (maximum - minimum) / abs(middle) * 100
    }

    /// The middle value; for an even count, the mean of the two middle values.
    public var median: Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
