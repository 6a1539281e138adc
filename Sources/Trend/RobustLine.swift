// The line through a series that a leak moves and a busy moment does not: the Theil-Sen
// estimator. Its slope is the median of the slopes between every pair of samples, its intercept
// the median of y - slope * x. A few spikes (a storm round in flight when a heartbeat is
// printed) leave it at the baseline's slope; a steady climb of any size shows. Least squares
// would let one spike near either end tilt the whole line.

public struct RobustLine: Equatable {
    /// Units of y per unit of x (per minute for trend series).
    public let slope: Double
    public let intercept: Double

    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    /// Nil with fewer than two points at distinct x.
    public init?(fitting points: [(x: Double, y: Double)]) {
        var slopes: [Double] = []
        slopes.reserveCapacity(points.count * (points.count - 1) / 2)
        for i in points.indices {
            for j in points.indices where j > i && points[j].x != points[i].x {
                slopes.append((points[j].y - points[i].y) / (points[j].x - points[i].x))
            }
        }
        guard let slope = Self.median(slopes) else { return nil }
        self.slope = slope
        self.intercept = Self.median(points.map { $0.y - slope * $0.x })!
    }

    public func value(at x: Double) -> Double { intercept + slope * x }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
