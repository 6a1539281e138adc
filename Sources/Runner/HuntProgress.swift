// How far a long `--repeat` or `--until-failure` hunt has got: runs done of the total, failures
// so far and the time left at the pace so far (runs finished per second of wall time since the
// first run started, so parallel jobs count).
import Foundation
import HostSystem

public struct HuntProgress {
    /// Runs this harness will do at most; nil when unbounded (`--until-failure` alone).
    public let total: Int?
    /// Whether the hunt stops at the first failure (the total is then an upper bound).
    public let untilFailure: Bool
    public private(set) var done = 0
    public private(set) var failed = 0
    public private(set) var startedAt: MonotonicInstant?

    public init(total: Int?, untilFailure: Bool) {
        self.total = total
        self.untilFailure = untilFailure
    }

    public mutating func runStarted(at now: MonotonicInstant) {
        if startedAt == nil { startedAt = now }
    }

    public mutating func runFinished(_ status: Verdict.Status) {
        done += 1
        if status == .failed || status == .error { failed += 1 }
    }

    /// `harness: progress 37/200 runs, 1 failed, about 4m 10s left` (`37 runs` when unbounded,
    /// `37/at most 200 runs` until a failure; no time left before the first run ends).
    public func line(at now: MonotonicInstant) -> String {
        var line = "harness: progress "
        if let total {
            line += "\(done)/\(untilFailure ? "at most " : "")\(total) runs"
        } else {
            line += "\(done) runs (until a failure)"
        }
        line += ", \(failed) failed"
        if let total, let startedAt, done > 0, done < total {
            let elapsed = now.seconds(since: startedAt)
            let left = elapsed / Double(done) * Double(total - done)
            line += ", \(untilFailure ? "at most" : "about") \(Self.duration(left)) left"
        }
        return line
    }

    /// `45s`, `4m 10s`, `2h 05m`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m \(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h \(String(format: "%02d", whole % 3600 / 60))m"
    }
}
