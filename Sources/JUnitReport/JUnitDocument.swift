// A JUnit report as data: what `JUnitReader` reads back from a file the harness wrote, what
// `harness merge` joins and writes again, and what the HTML report shows. Written out in the very
// one layout of the harness's reports (`JUnitReport` renders its runs through it too), so a
// report read and written again is the same text.
import Foundation
import HostSystem
import Runner

public struct JUnitDocument {
    public var name = "harness"
    public var suites: [JUnitSuite] = []

    public init(name: String = "harness", suites: [JUnitSuite] = []) {
        self.name = name
        self.suites = suites
    }

    /// The report as `JUnitReport` writes it: totals recomputed from the suites.
    public var xml: String {
        JUnitReport.document(
            name: name,
            suites: suites.map {
                JUnitReport.Suite(
                    xml: $0.xml, tests: $0.cases.count, failures: $0.count(\.isFailure), errors: $0.count(\.isError),
                    time: Double($0.time) ?? 0)
            })
    }
}

public struct JUnitSuite {
    public var name: String
    public var time = "0.000"
    public var timestamp: String?
    public var hostname: String?
    public var package: String?
    public var properties: [(name: String, value: String)] = []
    public var cases: [JUnitCase] = []
    public var systemOut: String?
    public var systemErr: String?

    public init(name: String) { self.name = name }

    public func property(_ name: String) -> String? { properties.first { $0.name == name }?.value }

    func count(_ predicate: (JUnitCase.Outcome) -> Bool) -> Int { cases.filter { predicate($0.outcome) }.count }

    // MARK: what the harness's own suites mean

    /// The run's own test case (the first; KTAP cases follow it).
    public var runCase: JUnitCase? { cases.first }

    /// The scenario's name: the suite's name without a repetition's ` #N`.
    public var scenario: String {
        guard let hash = name.range(of: " #", options: .backwards), Int(name[hash.upperBound...]) != nil else { return name }
        return String(name[..<hash.lowerBound])
    }

    public var seed: UInt64? { property("seed").flatMap { UInt64($0) } }

    /// How the run ended, from its own case.
    public var status: Verdict.Status { runCase?.outcome.status ?? .error }

    /// The command that reruns this run: the `rerun` property, or the failure's `rerun:` line.
    public var rerunCommand: String? { property("rerun") ?? runCase?.outcome.textLine(after: "rerun: ") }

    /// The failed run's artifacts folder, from its failure text (`artifacts: PATH`).
    public var artifacts: String? { runCase?.outcome.textLine(after: "artifacts: ") }

    /// `harness merge`'s stand-in for a report it could not read (an error case naming the file).
    public var standsForUnreadableReport: Bool { property("merge.input") != nil }

    /// The outcome for flake rates and counts.
    public var outcome: RunOutcome { RunOutcome(scenario: scenario, seed: seed, status: status) }

    public var xml: String {
        var out = "  <testsuite name=\"\(attr(name))\" tests=\"\(cases.count)\" failures=\"\(count(\.isFailure))\" "
        out += "errors=\"\(count(\.isError))\" skipped=\"\(count(\.isSkipped))\" time=\"\(attr(time))\""
        if let timestamp { out += " timestamp=\"\(attr(timestamp))\"" }
        if let hostname { out += " hostname=\"\(attr(hostname))\"" }
        if let package { out += " package=\"\(attr(package))\"" }
        out += ">\n" + propertiesXML(properties, indent: "    ")
        out += cases.map(\.xml).joined()
        if let systemOut { out += "    <system-out>\(XMLText.escaped(systemOut))</system-out>\n" }
        if let systemErr { out += "    <system-err>\(XMLText.escaped(systemErr))</system-err>\n" }
        return out + "  </testsuite>\n"
    }
}

public struct JUnitCase {
    public enum Outcome {
        case passed
        case failure(type: String?, message: String?, text: String)
        case error(type: String?, message: String?, text: String)
        case skipped(message: String?, text: String)

        public var status: Verdict.Status {
            switch self {
            case .passed: return .passed
            case .failure: return .failed
            case .error: return .error
            case .skipped: return .skipped
            }
        }

        var isFailure: Bool { status == .failed }
        var isError: Bool { status == .error }
        var isSkipped: Bool { status == .skipped }

        public var message: String? {
            switch self {
            case .passed: return nil
            case .failure(_, let message, _), .error(_, let message, _), .skipped(let message, _): return message
            }
        }

        public var type: String? {
            switch self {
            case .failure(let type, _, _), .error(let type, _, _): return type
            default: return nil
            }
        }

        public var text: String {
            switch self {
            case .passed: return ""
            case .failure(_, _, let text), .error(_, _, let text), .skipped(_, let text): return text
            }
        }

        /// The rest of the first line of the text that starts with `prefix`.
        func textLine(after prefix: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
    }

    public var classname: String
    public var name: String
    public var time = "0.000"
    public var properties: [(name: String, value: String)] = []
    public var outcome = Outcome.passed
    public var systemOut: String?
    public var systemErr: String?

    public init(classname: String, name: String, time: String = "0.000", outcome: Outcome = .passed) {
        self.classname = classname
        self.name = name
        self.time = time
        self.outcome = outcome
    }

    public var xml: String {
        var body = ""
        if !properties.isEmpty { body += "\n" + propertiesXML(properties, indent: "      ") + "    " }
        func attributes(_ type: String?, _ message: String?) -> String {
            (type.map { " type=\"\(attr($0))\"" } ?? "") + (message.map { " message=\"\(attr($0))\"" } ?? "")
        }
        switch outcome {
        case .passed: break
        case .failure(let type, let message, let text):
            body += "<failure\(attributes(type, message))>\(XMLText.escaped(text))</failure>"
        case .error(let type, let message, let text):
            body += "<error\(attributes(type, message))>\(XMLText.escaped(text))</error>"
        case .skipped(let message, let text):
            body += "<skipped\(attributes(nil, message))>\(XMLText.escaped(text))</skipped>"
        }
        if let systemOut { body += "<system-out>\(XMLText.escaped(systemOut))</system-out>" }
        if let systemErr { body += "<system-err>\(XMLText.escaped(systemErr))</system-err>" }
        return "    <testcase classname=\"\(attr(classname))\" name=\"\(attr(name))\" time=\"\(attr(time))\">\(body)</testcase>\n"
    }
}

private func attr(_ value: String) -> String { XMLText.escaped(value, attribute: true) }

private func propertiesXML(_ properties: [(name: String, value: String)], indent: String) -> String {
    guard !properties.isEmpty else { return "" }
    return "\(indent)<properties>\n"
        + properties.map { "\(indent)  <property name=\"\(attr($0.name))\" value=\"\(attr($0.value))\"/>\n" }.joined()
        + "\(indent)</properties>\n"
}
