// A failed run's last serial lines, from its JUnit system-out, with the lines that matched the
// scenario's `wait-serial`/`capture` patterns marked as matched and those that matched a
// `never` pattern, or that the verdict quotes, marked as failing.
import Foundation
import JUnitReport
import Scenario

struct SerialExcerpt {
    let run: JUnitSuite
    static let lineCount = 40

    init(_ run: JUnitSuite) { self.run = run }

    enum Mark: String {
        case matched, failing
    }

    /// The line's text without the harness's `[    1.234] ` time stamp.
    static func text(of line: Substring) -> Substring {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return line }
        let rest = line[line.index(after: close)...]
        return rest.hasPrefix(" ") ? rest.dropFirst() : rest
    }

    static func patterns(_ value: String?) -> [Pattern] {
        (value ?? "").split(separator: "\n").compactMap { try? Pattern(String($0)) }
    }

    func mark(_ line: Substring, expected: [Pattern], never: [Pattern], quoted: String) -> Mark? {
        let text = String(Self.text(of: line))
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        if never.contains(where: { $0.matches(text) }) || (text.count >= 8 && quoted.contains(text)) { return .failing }
        if expected.contains(where: { $0.matches(text) }) { return .matched }
        return nil
    }

    var html: String {
        guard let log = run.runCase?.systemOut, !log.isEmpty else { return "" }
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).suffix(Self.lineCount)
        let expected = Self.patterns(run.property("patterns.expected"))
        let never = Self.patterns(run.property("patterns.never"))
        let quoted =
            run.runCase.map {
                ($0.outcome.message ?? "") + "\n" + ($0.outcome.text.components(separatedBy: "\nrerun: ").first ?? "")
            } ?? ""
        let body = lines.map { line -> String in
            let escaped = HTMLText.escaped(String(line))
            guard let mark = mark(line, expected: expected, never: never, quoted: quoted) else { return escaped + "\n" }
            return "<span class=\"\(mark.rawValue)\" title=\"\(mark.rawValue)\">\(escaped)</span>"
        }.joined()
        return """
            <h4>Last serial lines</h4>
            <p class="legend"><span class="matched">matched a wait-serial or capture pattern</span> \
            <span class="failing">matched a never pattern or quoted by the verdict</span></p>
            <pre class="serial">\(body)</pre>

            """
    }
}
