// Deadlines for watchdogs and timeouts: CLOCK_MONOTONIC, so a wall-clock jump never fires one.
import Glibc

/// A point on the monotonic clock, in nanoseconds.
public struct MonotonicInstant: Comparable, Hashable, CustomStringConvertible {
    public let nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static var now: MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    public func adding(seconds: Double) -> MonotonicInstant {
        let delta = max(0, seconds) * 1e9
        return MonotonicInstant(nanoseconds: nanoseconds &+ UInt64(min(delta, 1e18)))
    }

    /// Seconds from `earlier` to this instant (negative when `earlier` is later).
    public func seconds(since earlier: MonotonicInstant) -> Double {
        Double(Int64(bitPattern: nanoseconds &- earlier.nanoseconds)) / 1e9
    }

    public static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.nanoseconds < b.nanoseconds }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}
