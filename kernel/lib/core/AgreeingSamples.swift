// One value from repeated measurements of the same quantity when an outside event can skew a
// measurement: under QEMU a vCPU thread descheduled by its host mid-measurement makes that one
// measurement come out many times too long. Plain Swift, built for the host too (KernelLibCore).

/// Collects measurements until two agree within `tolerancePercent` (then their mean) or
/// `capacity` are in (then their median).
public struct AgreeingSamples {
    /// Measurements taken at most.
    public static var capacity: Int { 5 }
    /// How far apart two measurements may be, in percent of the smaller, and still agree.
    public static var tolerancePercent: UInt64 { 2 }

    private var values: InlineArray<5, UInt64> = .init(repeating: 0)
    /// Measurements added so far.
    public private(set) var count = 0

    public init() {}

    /// Adds one measurement; returns the value once it is decided, else nil (measure again).
    public mutating func add(_ value: UInt64) -> UInt64? {
        var index = 0
        while index < count {
            if Self.agree(values[index], value) { return (values[index] + value) / 2 }
            index += 1
        }
        values[count] = value
        count += 1
        return count == Self.capacity ? median : nil
    }

    static func agree(_ a: UInt64, _ b: UInt64) -> Bool {
        let (low, high) = a < b ? (a, b) : (b, a)
        return (high - low) * 100 <= low * tolerancePercent
    }

    /// The middle of the measurements so far (insertion sort of at most five).
    private var median: UInt64 {
        var sorted = values
        var i = 1
        while i < count {
            let value = sorted[i]
            var j = i
            while j > 0 && sorted[j - 1] > value {
                sorted[j] = sorted[j - 1]
                j -= 1
            }
            sorted[j] = value
            i += 1
        }
        return sorted[count / 2]
    }
}
