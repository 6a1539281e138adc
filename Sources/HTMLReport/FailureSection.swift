// One failed run on the page: its verdict, the command that reruns it, the hang diagnosis
// (diagnosis.txt from its artifacts, else the failure's own text), the serial log's last lines
// with the matched and failing ones marked, and its plots and screenshots.
import Foundation
import JUnitReport

struct FailureSection {
    let run: JUnitSuite
    let index: Int
    /// Most bytes of diagnosis.txt shown (the rest stays in the artifacts).
    static let diagnosisLimit = 256 << 10

    init(_ run: JUnitSuite, index: Int) {
        self.run = run
        self.index = index
    }

    var html: String {
        let outcome = run.runCase?.outcome ?? .error(type: nil, message: "no test case", text: "")
        let verdict = [outcome.type, outcome.message].compactMap { $0 }.joined(separator: ": ")
        var out = "<section class=\"failure\" id=\"failure-\(index)\">\n"
        out += "<h3>\(HTMLText.escaped(run.name))\(run.seed.map { " · seed \($0)" } ?? "")</h3>\n"
        out += "<p class=\"verdict\">\(HTMLText.escaped(verdict))</p>\n"
        if let rerun = run.rerunCommand { out += "<p>rerun: <code class=\"rerun\">\(HTMLText.escaped(rerun))</code></p>\n" }
        if let artifacts = run.artifacts { out += "<p>artifacts: <code>\(HTMLText.escaped(artifacts))</code></p>\n" }
        out += diagnosis(outcome)
        out += SerialExcerpt(run).html
        out += ArtifactMedia(run).html
        return out + "</section>\n"
    }

    /// diagnosis.txt when the run has one; otherwise what the failure says before its serial lines.
    private func diagnosis(_ outcome: JUnitCase.Outcome) -> String {
        if let artifacts = run.artifacts,
            let handle = FileHandle(forReadingAtPath: "\(artifacts)/diagnosis.txt")
        {
            defer { try? handle.close() }
            let data = (try? handle.read(upToCount: Self.diagnosisLimit)) ?? Data()
            let more = ((try? handle.read(upToCount: 1)) ?? nil).map { !$0.isEmpty } ?? false
            return "<h4>Diagnosis (diagnosis.txt)</h4>\n<pre class=\"diagnosis\">\(HTMLText.escaped(bytes: data))"
                + (more ? "\n[... cut at \(Self.diagnosisLimit >> 10) KiB: the rest is in diagnosis.txt ...]" : "")
                + "</pre>\n"
        }
        let text = outcome.text.components(separatedBy: "\nlast serial lines:").first ?? outcome.text
        guard !text.isEmpty else { return "" }
        return "<h4>Diagnosis</h4>\n<pre class=\"diagnosis\">\(HTMLText.escaped(text))</pre>\n"
    }
}
