// JUnit XML (Jenkins' junit-4 schema) from run results: a <testsuite> per run, whose cases are the
// run itself and, when the kernel printed KTAP, one case per KTAP test.
import Foundation
import HostSystem
import KTAP
import QEMUMachine
import Runner
import Scenario

public struct JUnitReport {
    /// Long serial logs keep this many lines from the start and from the end.
    public static let logHeadLines = 150
    public static let logTailLines = 150

    public var results: [RunResult]
    public var name = "harness"
    public var timestamp = Date()

    public init(results: [RunResult]) { self.results = results }

    public var xml: String { Self.document(name: name, suites: results.map(suite)) }

    /// What the `<testsuites>` element counts, summed over the runs.
    public struct Totals {
        public private(set) var tests = 0, failures = 0, errors = 0, time = 0.0
        public init() {}

        public mutating func add(_ suite: Suite) {
            tests += suite.tests
            failures += suite.failures
            errors += suite.errors
            time += suite.time
        }
    }

    /// The whole report around `suites` (each made once by `suite(for:)`).
    public static func document(name: String = "harness", suites: [Suite]) -> String {
        var totals = Totals()
        suites.forEach { totals.add($0) }
        return header(name: name, totals: totals) + suites.map(\.xml).joined() + footer
    }

    /// The report up to its first `<testsuite>`; `footer` closes it.
    public static func header(name: String = "harness", totals: Totals) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="\(XMLText.escaped(name, attribute: true))" tests="\(totals.tests)" failures="\(totals.failures)" \
        errors="\(totals.errors)" time="\(totals.time.fixed3)">

        """
    }

    public static let footer = "</testsuites>\n"

    /// Writes the report to `path` atomically (a temporary file renamed over it), creating the
    /// folder if needed.
    public func write(to path: String) throws { try Self.write(to: path) { try $0.write(contentsOf: Data(xml.utf8)) } }

    /// Writes what `produce` puts in the file to `path` atomically: into a temporary file beside
    /// it, then renamed over it. A failure (a full disk) removes the temporary file and leaves
    /// the previous report, if any, as it was.
    public static func write(to path: String, _ produce: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw SystemError("open", detail: temporary.path)
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try produce(handle)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReportWriteError(path: path, cause: error)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let failure = SystemError("rename", detail: "\(temporary.path) -> \(url.path)")
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        }
    }

    // MARK: pieces

    /// One run's `<testsuite>` and its counts.
    public struct Suite {
        public let xml: String
        let tests: Int
        let failures: Int
        let errors: Int
        let time: Double
    }

    public func suite(for result: RunResult) -> Suite {
        var cases: [String] = [runCase(result)]
        var counts = (failures: 0, errors: 0, skipped: 0)
        switch result.verdict.status {
        case .failed: counts.failures += 1
        case .error: counts.errors += 1
        case .skipped: counts.skipped += 1
        case .passed: break
        }
        for (suitePath, test) in result.ktap?.leafCases() ?? [] {
            let classname = ([result.scenario.name] + suitePath).joined(separator: ".")
            var body = ""
            switch test.status {
            case .passed: break
            case .failed:
                counts.failures += 1
                body =
                    "<failure type=\"ktap\" message=\"\(attr("not ok \(test.number) \(test.name)"))\">\(text(test.diagnostics.joined(separator: "\n")))</failure>"
            case .skipped(let reason):
                counts.skipped += 1
                body = "<skipped>\(text(reason.isEmpty ? "SKIP" : reason))</skipped>"
            case .todo(let reason):
                counts.skipped += 1
                body = "<skipped>\(text("TODO " + reason))</skipped>"
            }
            if !test.diagnostics.isEmpty, case .passed = test.status {
                body = "<system-out>\(text(test.diagnostics.joined(separator: "\n")))</system-out>"
            }
            cases.append(
                "    <testcase classname=\"\(attr(classname))\" name=\"\(attr(test.name))\" time=\"\((test.duration ?? 0).fixed3)\">\(body)</testcase>\n"
            )
        }
        let tests = cases.count
        let folder = (result.scenario.file as NSString).deletingLastPathComponent
        let xml = """
              <testsuite name="\(attr(result.displayName))" tests="\(tests)" failures="\(counts.failures)" \
            errors="\(counts.errors)" skipped="\(counts.skipped)" time="\(result.duration.fixed3)" \
            timestamp="\(isoTimestamp)" hostname="\(attr(hostname))" package="\(attr(folder))">
            \(properties(result))\(cases.joined())  </testsuite>

            """
        return Suite(xml: xml, tests: tests, failures: counts.failures, errors: counts.errors, time: result.duration)
    }

    /// The run as one test case: its verdict, and the serial log in <system-out>.
    private func runCase(_ result: RunResult) -> String {
        let verdict = result.verdict
        var body = ""
        let detail =
            ([verdict.message] + verdict.details
            + ["rerun: \(result.rerunCommand)"]
            + (result.artifacts.map { ["artifacts: \($0)"] } ?? [])
            + ["last serial lines:"] + result.lastLines.map { "  " + $0 }).joined(separator: "\n")
        let type = verdict.watchdog.map { "\(verdict.kind.rawValue) (\($0.rawValue) watchdog)" } ?? verdict.kind.rawValue
        switch verdict.status {
        case .passed: break
        case .skipped: body += "<skipped>\(text(verdict.message))</skipped>"
        case .failed: body += "<failure type=\"\(attr(type))\" message=\"\(attr(verdict.message))\">\(text(detail))</failure>"
        case .error: body += "<error type=\"\(attr(type))\" message=\"\(attr(verdict.message))\">\(text(detail))</error>"
        }
        // A passing run's details (an expected hang's diagnosis) have no failure to live in: they
        // open its system-out, ahead of the serial log.
        let passedDetails =
            verdict.status == .passed && !verdict.details.isEmpty
            ? ([verdict.message] + verdict.details).joined(separator: "\n") + "\n\n" : ""
        body += "<system-out>\(text(passedDetails + serialExcerpt(result)))</system-out>"
        if !result.warnings.isEmpty {
            body += "<system-err>\(text(result.warnings.map { "warning: " + $0 }.joined(separator: "\n")))</system-err>"
        }
        // From the scenario root, so the same file has the same class however it was named
        // (`../scenarios/x.yaml`, `/abs/path/x.yaml`), and never a leading '.'.
        let classname = (result.scenario.pathInRoot as NSString).deletingPathExtension
            .split(separator: "/").joined(separator: ".")
        return
            "    <testcase classname=\"\(attr(classname))\" name=\"\(attr(result.displayName))\" time=\"\(result.duration.fixed3)\">\(body)</testcase>\n"
    }

    private func properties(_ result: RunResult) -> String {
        let entries = (result.properties + Self.reportProperties(result)).map {
            "      <property name=\"\(attr($0.name))\" value=\"\(attr($0.value))\"/>\n"
        }
        guard !entries.isEmpty else { return "" }
        return "    <properties>\n" + entries.joined() + "    </properties>\n"
    }

    /// What the HTML report and `harness merge` read back besides the run's own properties: the
    /// command that reruns it, and the patterns its serial lines were matched against (one a
    /// line: `patterns.expected` from `wait-serial` and `capture` steps, `patterns.never`), so the
    /// report can mark the matched and the failing lines.
    static func reportProperties(_ result: RunResult) -> [(name: String, value: String)] {
        let expected = result.scenario.steps.compactMap { step -> String? in
            switch step.value {
            case .waitSerial(let pattern, _), .capture(let pattern, _, _): return pattern.source
            default: return nil
            }
        }
        var list: [(name: String, value: String)] = [("rerun", result.rerunCommand)]
        if !expected.isEmpty { list.append(("patterns.expected", expected.joined(separator: "\n"))) }
        if !result.scenario.never.isEmpty {
            list.append(("patterns.never", result.scenario.never.map(\.source).joined(separator: "\n")))
        }
        return list
    }

    /// The serial log, cut to head and tail with a marker when it is long.
    func serialExcerpt(_ result: RunResult) -> String {
        func format(_ line: SerialLine) -> String { "[\(line.time.fixed3.leftPadded(9))] \(line.text)" }
        var lines = result.serialHead.prefix(Self.logHeadLines).map(format)
        let headOmitted = max(0, result.serialHead.count - Self.logHeadLines)
        let tail = result.serialTail.suffix(Self.logTailLines)
        let omitted = result.omittedSerialLines + headOmitted + (result.serialTail.count - tail.count)
        if omitted > 0 {
            lines.append("[... \(omitted) lines omitted; the whole log is in the run's artifacts when it failed ...]")
        }
        lines += tail.map(format)
        return lines.joined(separator: "\n")
    }

    private var isoTimestamp: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: timestamp)
    }

    private var hostname: String { ProcessInfo.processInfo.hostName }

    private func attr(_ value: String) -> String { XMLText.escaped(value, attribute: true) }
    private func text(_ value: String) -> String { XMLText.escaped(value) }
}

/// The report could not be written (a full disk, a missing permission); the previous report, if
/// any, is left as it was.
public struct ReportWriteError: Error, CustomStringConvertible {
    public let path: String
    public let cause: Error
    /// Runs the report could not hold (IncrementalReport's spill failed for them).
    public var lostRuns = 0

    public init(path: String, cause: Error, lostRuns: Int = 0) {
        (self.path, self.cause, self.lostRuns) = (path, cause, lostRuns)
    }

    public var description: String {
        let lost = lostRuns == 0 ? "" : " (\(lostRuns) run\(lostRuns == 1 ? "" : "s") could not be recorded)"
        return "writing \(path) failed: \(fileErrorText(cause))\(lost)"
    }
}
