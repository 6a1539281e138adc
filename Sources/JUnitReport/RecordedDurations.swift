// How long each scenario's runs took in an earlier report (`--durations build/junit.xml`), for
// balancing shards: the mean `time` of its runs (one `<testsuite>` per run, `name` or `name #N`
// for a repetition), read through JUnitReader.
import Foundation

public enum RecordedDurations {
    /// Mean seconds per scenario name. Throws JUnitReadError (file:line: reason) for a missing,
    /// truncated or malformed report; a report with no runs gives an empty table (the shards are
    /// then balanced by count). A merge's stand-in for an unreadable shard is not a run.
    public static func read(_ path: String) throws -> [String: Double] {
        table(try JUnitReader.read(path))
    }

    public static func parse(_ data: Data, file: String) throws -> [String: Double] {
        table(try JUnitReader.parse(data, file: file))
    }

    static func table(_ document: JUnitDocument) -> [String: Double] {
        var totals: [String: (seconds: Double, runs: Int)] = [:]
        for suite in document.suites where !suite.standsForUnreadableReport {
            guard let seconds = Double(suite.time) else { continue }
            totals[suite.scenario, default: (0, 0)].seconds += seconds
            totals[suite.scenario, default: (0, 0)].runs += 1
        }
        return totals.mapValues { $0.seconds / Double($0.runs) }
    }
}
