// The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched) made
// from a JUnit report, for people: the counts, each failure with its verdict, diagnosis, serial
// lines, plots and screenshots, the flake rates with their intervals, and every run with the
// command that reruns it. Written beside the JUnit file by every run and by `harness merge`.
import Foundation
import JUnitReport
import Runner

public struct HTMLReport {
    public let document: JUnitDocument
    /// Most failures shown in full (the rest are in the table of runs).
    public static let failuresShown = 50

    public init(_ document: JUnitDocument) { self.document = document }

    /// In the folder of the JUnit file at `junitPath`: `report.html` beside a `junit.xml`, else
    /// the JUnit file's name with `.html` (`examples.xml` → `examples.html`), so two reports in
    /// one folder keep two pages.
    public static func path(besideJUnit junitPath: String) -> String {
        // Relative when the JUnit path is, so the harness names both alike.
        let folder = (junitPath as NSString).deletingLastPathComponent
        let file = (junitPath as NSString).lastPathComponent
        let page = file == "junit.xml" ? "report.html" : ((file as NSString).deletingPathExtension + ".html")
        return folder.isEmpty ? page : folder + "/" + page
    }

    /// Reads the JUnit report at `junitPath` and writes the page beside it; returns its path.
    @discardableResult
    public static func write(besideJUnit junitPath: String) throws -> String {
        let page = HTMLReport(try JUnitReader.read(junitPath)).html
        let path = path(besideJUnit: junitPath)
        try JUnitReport.write(to: path) { try $0.write(contentsOf: Data(page.utf8)) }
        return path
    }

    public var html: String {
        let runs = document.suites
        let counts = Summary.counts(runs.map(\.status))
        let failures = runs.filter { $0.status == .failed || $0.status == .error }
        let headline = counts.failed > 0 ? "fail" : "pass"
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>\(HTMLText.escaped(Summary.closingLine(counts)))</title>
            <style>\(HTMLStyle.css)</style></head><body>
            <header class="\(headline)"><h1>\(HTMLText.escaped(Summary.closingLine(counts)))</h1>
            \(countsLine(counts, runs: runs))</header>

            """
        if !failures.isEmpty {
            page += "<h2>Failures (\(failures.count))</h2>\n"
            page += failures.prefix(Self.failuresShown).enumerated().map { FailureSection($0.element, index: $0.offset).html }
                .joined()
            if failures.count > Self.failuresShown {
                page += "<p>\(failures.count - Self.failuresShown) more failures: see the table of runs.</p>\n"
            }
        }
        page += FlakeTable(runs).html
        page += RunTable(runs).html
        return page + "</body></html>\n"
    }

    private func countsLine(_ counts: Summary.Counts, runs: [JUnitSuite]) -> String {
        let seconds = runs.reduce(0.0) { $0 + (Double($1.time) ?? 0) }
        let scenarios = Set(runs.filter { !$0.standsForUnreadableReport }.map(\.scenario)).count
        return """
            <p class="counts"><span class="n fail">\(counts.failed)</span> failed \
            <span class="n pass">\(counts.passed)</span> passed \
            <span class="n skip">\(counts.skipped)</span> skipped \
            · \(runs.count) runs of \(scenarios) scenarios · \(String(format: "%.1f", seconds)) s of runs</p>
            """
    }
}
