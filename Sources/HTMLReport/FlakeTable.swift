// Per scenario: how many of its runs failed, the rate with its 95 % Wilson interval (drawn as a
// bar), and the clean runs in a row that would show a fix at that rate (`FlakeRate`).
import JUnitReport
import Runner

struct FlakeTable {
    let rates: [FlakeRate]

    init(_ runs: [JUnitSuite]) {
        // Every scenario, also those run once: the table is the whole picture.
        var order: [String] = []
        var tally: [String: (runs: Int, failed: Int)] = [:]
        for run in runs where !run.standsForUnreadableReport && run.status != .skipped {
            if tally[run.scenario] == nil { order.append(run.scenario) }
            tally[run.scenario, default: (0, 0)].runs += 1
            if run.status != .passed { tally[run.scenario]!.failed += 1 }
        }
        rates = order.map { FlakeRate(scenario: $0, runs: tally[$0]!.runs, failed: tally[$0]!.failed) }
    }

    var html: String {
        guard !rates.isEmpty else { return "" }
        let rows = rates.map { rate -> String in
            let (low, high) = rate.interval
            let fix = rate.cleanRunsToShowAFix.map { "\($0) clean runs in a row" } ?? "—"
            return """
                <tr class="\(rate.failed > 0 ? "failed" : "passed")"><td>\(HTMLText.escaped(rate.scenario))</td>\
                <td class="num">\(rate.failed)/\(rate.runs)</td><td class="num">\(percent(rate.rate))</td>\
                <td class="num">\(percent(low))–\(percent(high))</td><td>\(bar(low, high, rate.rate))</td><td>\(fix)</td></tr>

                """
        }
        return """
            <h2>Flake rates</h2>
            <p class="legend">95 % Wilson score interval of the failure rate p = F/N; a fix is shown at that \
            rate by n clean runs in a row, the least n with (1 − p)<sup>n</sup> ≤ 0.05.</p>
            <table><tr><th>scenario</th><th>failed</th><th>rate</th><th>95 % CI</th><th></th><th>to show a fix</th></tr>
            \(rows.joined())</table>

            """
    }

    private func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    /// The interval as a bar over 0–100 %, the observed rate as a tick.
    private func bar(_ low: Double, _ high: Double, _ rate: Double) -> String {
        let width = 160.0
        return String(
            format: """
                <svg width="160" height="12" viewBox="0 0 160 12" role="img"><rect width="160" height="12" fill="#f6f8fa"/>\
                <rect x="%.1f" y="2" width="%.1f" height="8" fill="#ffb3ab"/><rect x="%.1f" y="0" width="2" height="12" fill="#cf222e"/></svg>
                """, low * width, max(1, (high - low) * width), min(width - 2, rate * width))
    }
}
