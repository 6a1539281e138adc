// How long each scenario's runs took in an earlier report (`--durations build/junit.xml`), for
// balancing shards: the mean `time` of its `<testsuite>` elements (one per run, `name` or
// `name #N` for a repetition).
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

public enum RecordedDurations {
    /// A report that cannot be read, with the file, the line when known, and the reason.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Mean seconds per scenario name. Throws for a missing file or XML that does not parse; a
    /// report with no runs gives an empty table (the shards are then balanced by count).
    public static func read(_ path: String) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "\(path): cannot read it (\(fileProblem(path)))")
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws -> [String: Double] {
        let collector = SuiteTimes()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else {
            let reason = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "not XML"
            throw Problem(description: "\(file):\(parser.lineNumber): not a JUnit report: \(reason)")
        }
        // libxml2's SAX parser takes a file that stops mid-element as a success: a report cut short
        // (a killed writer, a partial upload) is refused here instead.
        if let open = collector.open.last {
            throw Problem(
                description: "\(file):\(parser.lineNumber): not a JUnit report: it ends inside <\(open)> (cut short?)")
        }
        guard let root = collector.root, root == "testsuites" || root == "testsuite" else {
            throw Problem(description: "\(file):1: not a JUnit report: no <testsuites> element")
        }
        if let bad = collector.badTime {
            throw Problem(description: "\(file):\(bad.line): testsuite '\(bad.name)' has time '\(bad.time)', not seconds")
        }
        return collector.totals.mapValues { $0.seconds / Double($0.runs) }
    }

    private static func fileProblem(_ path: String) -> String {
        FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
    }

    private final class SuiteTimes: NSObject, XMLParserDelegate {
        var totals: [String: (seconds: Double, runs: Int)] = [:]
        var badTime: (line: Int, name: String, time: String)?
        /// Elements opened and not yet closed, and the first one.
        var open: [String] = []
        var root: String?

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = element }
            open.append(element)
            guard element == "testsuite", let name = attributes["name"], let time = attributes["time"] else { return }
            guard let seconds = Double(time), seconds.isFinite, seconds >= 0 else {
                if badTime == nil { badTime = (parser.lineNumber, name, time) }
                return
            }
            let scenario = Self.scenarioName(name)
            totals[scenario, default: (0, 0)].seconds += seconds
            totals[scenario, default: (0, 0)].runs += 1
        }

        /// `name #3` (a repetition) is a run of `name`.
        static func scenarioName(_ suite: String) -> String {
            guard let mark = suite.range(of: " #", options: .backwards),
                !suite[mark.upperBound...].isEmpty, suite[mark.upperBound...].allSatisfy(\.isNumber)
            else { return suite }
            return String(suite[..<mark.lowerBound])
        }
    }
}
