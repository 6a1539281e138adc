// The table at the end of a run and the closing line CI reads.
import Glibc
import HostSystem

public enum Summary {
    public struct Counts: Equatable {
        public var passed = 0
        public var failed = 0
        public var skipped = 0
    }

    /// Errors (hangs, crashes, infrastructure) count as failed.
    public static func counts(_ results: [RunResult]) -> Counts { counts(results.map(\.verdict.status)) }

    public static func counts(_ statuses: [Verdict.Status]) -> Counts {
        var counts = Counts()
        for status in statuses {
            switch status {
            case .passed: counts.passed += 1
            case .failed, .error: counts.failed += 1
            case .skipped: counts.skipped += 1
            }
        }
        return counts
    }

    public static func table(_ results: [RunResult]) -> String {
        table(
            rows: results.map {
                (
                    status: $0.verdict.status, name: $0.displayName, seed: String($0.seed), seconds: $0.duration,
                    detail: $0.verdict.message
                )
            })
    }

    /// The table from its rows' fields (`harness merge` has them from reports, not results).
    public static func table(
        rows entries: [(status: Verdict.Status, name: String, seed: String, seconds: Double, detail: String)]
    )
        -> String
    {
        let header = ["RESULT", "SCENARIO", "SEED", "TIME", "DETAIL"]
        let rows = entries.map { entry in
            [
                ProgressDisplay.mark(entry.status), entry.name, entry.seed, entry.seconds.fixed1 + "s",
                String(entry.detail.prefix(100)),
            ]
        }
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            (0..<4).map { row[$0].rightPadded(widths[$0]) }.joined(separator: "  ") + "  " + row[4]
        }.joined(separator: "\n")
    }

    /// For each scenario run more than once (`--repeat`, `--until-failure`) or that failed: how
    /// many of its runs failed, with a 95 % interval, and the seeds that did, so an intermittent
    /// freeze has a rate and a way back in (`FlakeRate`).
    public static func flakeRates(_ results: [RunResult]) -> [String] {
        FlakeRate.rates(results.map(RunOutcome.init)).map(\.line)
    }

    /// `harness: N passed, M failed` (`, K skipped` when there are some; ` (shard K/N)` when the
    /// run was one part of a sharded plan).
    public static func closingLine(_ counts: Counts, shard: Shard? = nil) -> String {
        var line = "harness: \(counts.passed) passed, \(counts.failed) failed"
        if counts.skipped > 0 { line += ", \(counts.skipped) skipped" }
        if let shard { line += " (shard \(shard))" }
        return line
    }
}

/// The harness's own cost, for the benchmark figures: CPU time (its threads only, not QEMU's),
/// as a share of wall time, and peak resident memory.
public struct ResourceUsage {
    public let cpuSeconds: Double
    public let wallSeconds: Double
    public let peakRSSMegabytes: Double

    /// CPU seconds this process has used so far. Under `swift run` that includes SwiftPM's own
    /// time before it exec'd the harness, which is why `since` takes a baseline.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Usage from `start` (with `cpuAtStart` CPU seconds then) to now.
    public static func since(_ start: MonotonicInstant, cpuAtStart: Double) -> ResourceUsage {
        ResourceUsage(
            cpuSeconds: cpuSeconds() - cpuAtStart, wallSeconds: MonotonicInstant.now.seconds(since: start),
            peakRSSMegabytes: Double(PeakMemory.kibibytes() ?? 0) / 1024)
    }

    public var description: String {
        let share = wallSeconds > 0 ? cpuSeconds / wallSeconds * 100 : 0
        return
            "harness: own CPU \(cpuSeconds.fixed3)s over \(wallSeconds.fixed1)s wall (\(share.fixed1)%), peak RSS \(peakRSSMegabytes.fixed1) MB"
    }
}
