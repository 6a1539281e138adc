// Per scenario run more than once or that failed (as on the terminal): how many of its runs failed, the rate with its 95 % Wilson interval (drawn as a
// bar), and the clean runs in a row that would show a fix at that rate (`FlakeRate`).
import JUnitReport
import Runner

struct FlakeTable {
    let rates: [FlakeRate]
    /// Scenarios run once that passed: left out, as on the terminal (0/1 says 0–79.3 %).
    let passedOnce: Int

    init(_ runs: [JUnitSuite]) {
        let outcomes = runs.filter { !$0.standsForUnreadableReport }.map(\.outcome)
        rates = FlakeRate.rates(outcomes)
        passedOnce = Set(outcomes.filter { $0.status != .skipped }.map(\.scenario)).count - rates.count
    }

    var html: String {
        let onceNote =
            passedOnce > 0
            ? "<p class=\"legend\">\(passedOnce) scenarios ran once and passed: not listed (one clean run says the rate is 0–79.3 %).</p>\n"
            : ""
        guard !rates.isEmpty else { return "<h2>Flake rates</h2>\n" + onceNote }
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
            \(onceNote)
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
