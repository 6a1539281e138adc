// How often a scenario failed over its runs, with the statistics a person needs to trust the
// figure: a 95 % Wilson score interval, and how many clean runs in a row would show a fix. One
// home for the terminal's flake-rate line, `harness merge` and the HTML report.
import Foundation
import HostSystem

/// One finished run as the flake rates and the counts see it: which scenario, its seed, how it
/// ended. Made from a `RunResult` in the harness, or from a JUnit report by `harness merge`.
public struct RunOutcome: Equatable {
    public var scenario: String
    public var seed: UInt64?
    public var status: Verdict.Status

    public init(scenario: String, seed: UInt64?, status: Verdict.Status) {
        self.scenario = scenario
        self.seed = seed
        self.status = status
    }

    public init(_ result: RunResult) {
        self.init(scenario: result.scenario.name, seed: result.seed, status: result.verdict.status)
    }
}

public struct FlakeRate: Equatable {
    public let scenario: String
    /// Runs that were judged (skipped ones are not).
    public let runs: Int
    /// Runs that failed or erred.
    public let failed: Int
    /// The failed runs' seeds, in the order they came.
    public let failingSeeds: [UInt64]

    public init(scenario: String, runs: Int, failed: Int, failingSeeds: [UInt64] = []) {
        self.scenario = scenario
        self.runs = runs
        self.failed = failed
        self.failingSeeds = failingSeeds
    }

    /// The observed rate, failed / runs.
    public var rate: Double { runs > 0 ? Double(failed) / Double(runs) : 0 }

    /// The 95 % Wilson score interval of the rate (z = 1.959964).
    public var interval: (low: Double, high: Double) { Self.wilson(failed, of: runs) }

    /// The consecutive clean runs n that would show a fix at the observed rate p: the smallest n
    /// with (1 - p)^n <= 0.05, i.e. n = ceil(ln 0.05 / ln(1 - p)); if the flake were still there,
    /// n clean runs in a row would happen less than 5 % of the time. nil when nothing failed.
    public var cleanRunsToShowAFix: Int? { Self.cleanRunsToShowAFix(rate: rate) }

    /// Wilson's score interval for `successes` of `trials` at the normal quantile `z`:
    /// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), clamped to [0, 1]; (0, 1) for no trials.
    public static func wilson(_ successes: Int, of trials: Int, z: Double = 1.959964) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        let scale = 1 + z2 / n
        // At the edges the interval touches 0 or 1 exactly; rounding must not move it off.
        let low = successes == 0 ? 0 : max(0, (centre - spread) / scale)
        let high = successes == trials ? 1 : min(1, (centre + spread) / scale)
        return (low, high)
    }

    public static func cleanRunsToShowAFix(rate p: Double, confidence: Double = 0.95) -> Int? {
        guard p > 0 else { return nil }
        guard p < 1 else { return 1 }
        return Int((log(1 - confidence) / log(1 - p)).rounded(.up))
    }

    /// Per scenario, in the order each first appears: its rate over the judged runs. Scenarios
    /// run once that passed are left out (a rate of one run says nothing); a failure run once
    /// keeps its line, with its seed.
    public static func rates(_ outcomes: [RunOutcome]) -> [FlakeRate] {
        var order: [String] = []
        var runs: [String: [RunOutcome]] = [:]
        for outcome in outcomes where outcome.status != .skipped {
            if runs[outcome.scenario] == nil { order.append(outcome.scenario) }
            runs[outcome.scenario, default: []].append(outcome)
        }
        return order.compactMap { name in
            let all = runs[name]!
            let failed = all.filter { $0.status != .passed }
            guard all.count > 1 || !failed.isEmpty else { return nil }
            return FlakeRate(scenario: name, runs: all.count, failed: failed.count, failingSeeds: failed.compactMap(\.seed))
        }
    }

    /// `harness: flake rate NAME: F/N (P %, 95 % CI a–b %)`, then the failing seeds.
    public var line: String {
        let (low, high) = interval
        var line =
            "harness: flake rate \(scenario): \(failed)/\(runs) (\((rate * 100).fixed1) %, 95 % CI \((low * 100).fixed1)–\((high * 100).fixed1) %)"
        if !failingSeeds.isEmpty { line += ", seeds " + failingSeeds.map(String.init).joined(separator: " ") }
        return line
    }
}
