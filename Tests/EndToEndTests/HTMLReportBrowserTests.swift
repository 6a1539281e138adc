// The HTML report of a real run, opened in headless Chromium: a guest prints `<script>`,
// `</pre>`, markup, NUL, 0xff and invalid UTF-8, then hangs. The page must render the hang's
// diagnosis and the trend plot as SVG, hold no script element, and show the hostile text as text.
import Foundation
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct HTMLReportBrowserTests {
    @Test func aHostileGuestsHangRendersAsTextWithItsDiagnosisAndPlot() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try FloodGuest.build(.markup, records: 12, in: folder)
        let scenario = folder.appendingPathComponent("hostile-markup.yaml")
        try """
        machine: {kernel: \(image), memory: 32M, vcpus: 1}
        watchdogs: {silence: 3s, deadline: 60s}
        trend:
          pattern: "tick:"
          plot: ticks.svg
          min-samples: 3
          slopes:
            n: {at-most: 1000}
        steps:
          - wait-serial: {pattern: "markup:", within: 30s}
        expect: {exit: 33}
        """.write(to: scenario, atomically: true, encoding: .utf8)
        let junit = folder.appendingPathComponent("out/junit.xml").path
        let run = try HarnessProcess.run([
            scenario.path, "--junit", junit, "--artifacts", folder.appendingPathComponent("out/artifacts").path,
            "--allow-dir", folder.path, "--allow-dir", KernelScenario.kernelDirectory,
        ])
        #expect(run.status == 1, "\(run.errors)")
        let page = folder.appendingPathComponent("out/report.html").path
        #expect(FileManager.default.fileExists(atPath: page), "\(run.errors)")

        let browser = [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(folder.appendingPathComponent("chromium").path)",
        ]
        let dom = try Tool.run(browser + ["--dump-dom", "file://\(page)"])
        #expect(dom.status == 0, "\(dom.errors)")
        let text = dom.output
        #expect(text.contains("<h4>Diagnosis (diagnosis.txt)</h4>"), "the hang's diagnosis is shown")
        #expect(text.contains("hang (serial silence watchdog)"))
        #expect(
            text.range(of: "<figure><svg[^>]*>[\\s\\S]*?n: slope", options: .regularExpression) != nil,
            "the trend plot is inline SVG")
        #expect(!text.lowercased().contains("<script"), "no script element in the DOM")
        #expect(!text.contains("<b>not bold</b>"), "the guest's markup is not markup")
        #expect(!text.contains("<title>pwned"))
        #expect(
            text.contains(
                "markup: &lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;/pre&gt;&lt;b&gt;not bold&lt;/b&gt; \\x00\u{FFFD}"
            ),
            "the hostile line appears as text")
        // After the hostile line the page goes on: its later sections are still there.
        #expect(text.contains("<h2>Runs (1)</h2>"))

        let screenshot = folder.appendingPathComponent("report.png").path
        let shot = try Tool.run(browser + ["--screenshot=\(screenshot)", "--window-size=1200,1600", "file://\(page)"])
        #expect(shot.status == 0, "\(shot.errors)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a screenshot of \(png.count) bytes")
    }
}
