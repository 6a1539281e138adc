// Reads a JUnit report back into a `JUnitDocument`: every suite, case, property (suite and case
// level), failure, error and skip with its message and text, and system-out/err. Parsed with
// FoundationXML's XMLParser (libxml2); a file that is missing, truncated or not our format is an
// error naming the file and line.
import Foundation
import Runner

#if canImport(FoundationXML)
    import FoundationXML
#endif

public struct JUnitReadError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(reason)" }
}

public enum JUnitReader {
    public static func read(_ path: String) throws -> JUnitDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw JUnitReadError(file: path, line: 0, reason: "cannot read the report: \(fileErrorText(error))")
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws -> JUnitDocument {
        guard !data.isEmpty else { throw JUnitReadError(file: file, line: 1, reason: "the report is empty") }
        // From a stream, fed to libxml2 in pieces: given the whole document at once, its input
        // limit (10 MB without XML_PARSE_HUGE) refuses a nightly's report.
        let parser = XMLParser(stream: InputStream(data: data))
        let reader = ReaderDelegate(file: file, parser: parser)
        parser.delegate = reader
        let parsed = parser.parse()
        if let problem = reader.problem { throw problem }
        guard parsed else {
            let cause = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "not well-formed XML"
            let truncated = reader.depth > 0 ? " (cut short inside <\(reader.openElements.last ?? "")>: truncated?)" : ""
            throw JUnitReadError(file: file, line: parser.lineNumber, reason: "\(cause)\(truncated)")
        }
        guard reader.sawRoot else { throw JUnitReadError(file: file, line: 1, reason: "no <testsuites> element") }
        // XMLParser (FoundationXML) can report success on a document cut short: an element
        // still open at the end means the file was truncated.
        if let open = reader.openElements.last {
            let lastLine = data.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } - (data.last == 0x0A ? 1 : 0)
            throw JUnitReadError(
                file: file, line: lastLine,
                reason: "the report ends inside <\(open)>: truncated (an unfinished write, a full disk?)")
        }
        return reader.document
    }
}

/// The parser's callbacks: a stack of open elements, the suite and case being filled, and the
/// text of the element that takes text.
private final class ReaderDelegate: NSObject, XMLParserDelegate {
    let file: String
    unowned let parser: XMLParser
    var document = JUnitDocument()
    var problem: JUnitReadError?
    var openElements: [String] = []
    var depth: Int { openElements.count }
    var sawRoot = false
    private var suite: JUnitSuite?
    private var testCase: JUnitCase?
    private var text: String?
    private var outcomeAttributes: [String: String] = [:]

    init(file: String, parser: XMLParser) {
        self.file = file
        self.parser = parser
    }

    private func fail(_ reason: String) {
        guard problem == nil else { return }
        problem = JUnitReadError(file: file, line: parser.lineNumber, reason: reason)
        parser.abortParsing()
    }

    /// A `time` attribute: a finite, non-negative number of seconds (the schema's decimal).
    private static func isSeconds(_ text: String) -> Bool { Double(text).map { $0.isFinite && $0 >= 0 } ?? false }

    private static let textElements: Set = ["failure", "error", "skipped", "system-out", "system-err"]

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let parent = openElements.last
        openElements.append(element)
        func required(_ name: String) -> String? {
            if let value = attributes[name] { return value }
            fail("<\(element)> has no \(name) attribute")
            return nil
        }
        switch (parent, element) {
        case (nil, "testsuites"):
            sawRoot = true
            document.name = attributes["name"] ?? document.name
        case ("testsuites", "testsuite"):
            guard let name = required("name") else { return }
            if let time = attributes["time"], !Self.isSeconds(time) {
                return fail("testsuite '\(name)' has time '\(time)', not seconds")
            }
            var new = JUnitSuite(name: name)
            new.time = attributes["time"] ?? new.time
            new.timestamp = attributes["timestamp"]
            new.hostname = attributes["hostname"]
            new.package = attributes["package"]
            suite = new
        case ("testsuite", "properties"), ("testcase", "properties"):
            break
        case ("properties", "property"):
            guard let name = required("name"), let value = required("value") else { return }
            if testCase != nil {
                testCase?.properties.append((name, value))
            } else {
                suite?.properties.append((name, value))
            }
        case ("testsuite", "testcase"):
            guard let name = required("name"), let classname = required("classname") else { return }
            if let time = attributes["time"], !Self.isSeconds(time) {
                return fail("testcase '\(name)' has time '\(time)', not seconds")
            }
            testCase = JUnitCase(classname: classname, name: name, time: attributes["time"] ?? "0.000")
        case ("testcase", "failure"), ("testcase", "error"), ("testcase", "skipped"):
            guard testCase.map({ $0.outcome.status == .passed }) == true else {
                return fail("<testcase> has more than one failure, error or skipped element")
            }
            outcomeAttributes = attributes
            text = ""
        case ("testcase", "system-out"), ("testcase", "system-err"), ("testsuite", "system-out"), ("testsuite", "system-err"):
            text = ""
        default:
            fail("unexpected <\(element)>" + (parent.map { " in <\($0)>" } ?? " at the top"))
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        openElements.removeLast()
        let body = text ?? ""
        if Self.textElements.contains(element) { text = nil }
        let parentIsCase = openElements.last == "testcase"
        switch element {
        case "testsuite":
            if let suite { document.suites.append(suite) }
            suite = nil
        case "testcase":
            if let testCase { suite?.cases.append(testCase) }
            testCase = nil
        case "failure":
            testCase?.outcome = .failure(type: outcomeAttributes["type"], message: outcomeAttributes["message"], text: body)
        case "error":
            testCase?.outcome = .error(type: outcomeAttributes["type"], message: outcomeAttributes["message"], text: body)
        case "skipped":
            testCase?.outcome = .skipped(message: outcomeAttributes["message"], text: body)
        case "system-out":
            if parentIsCase { testCase?.systemOut = body } else { suite?.systemOut = body }
        case "system-err":
            if parentIsCase { testCase?.systemErr = body } else { suite?.systemErr = body }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if text != nil {
            text! += string
        } else if !string.allSatisfy(\.isWhitespace) {
            fail("text outside any element that takes text: '\(string.prefix(40))'")
        }
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        guard text != nil else { return fail("CDATA outside any element that takes text") }
        text! += String(decoding: block, as: UTF8.self)
    }
}
