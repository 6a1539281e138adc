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
        let suite = document(for: result)
        return Suite(
            xml: suite.xml, tests: suite.cases.count, failures: suite.count(\.isFailure), errors: suite.count(\.isError),
            time: result.duration)
    }

    /// The run as report data (`JUnitSuite`, whose `xml` is the one writer of the layout): its
    /// own case, then one case per KTAP test.
    func document(for result: RunResult) -> JUnitSuite {
        var suite = JUnitSuite(name: result.displayName)
        suite.time = result.duration.fixed3
        suite.timestamp = isoTimestamp
        suite.hostname = hostname
        suite.package = (result.scenario.file as NSString).deletingLastPathComponent
        suite.properties = result.properties + Self.reportProperties(result)
        suite.cases = [runCase(result)]
        for (suitePath, test) in result.ktap?.leafCases() ?? [] {
            var ktapCase = JUnitCase(
                classname: ([result.scenario.name] + suitePath).joined(separator: "."), name: test.name,
                time: (test.duration ?? 0).fixed3)
            let diagnostics = test.diagnostics.joined(separator: "\n")
            switch test.status {
            case .passed: if !test.diagnostics.isEmpty { ktapCase.systemOut = diagnostics }
            case .failed:
                ktapCase.outcome = .failure(type: "ktap", message: "not ok \(test.number) \(test.name)", text: diagnostics)
            case .skipped(let reason): ktapCase.outcome = .skipped(message: nil, text: reason.isEmpty ? "SKIP" : reason)
            case .todo(let reason): ktapCase.outcome = .skipped(message: nil, text: "TODO " + reason)
            }
            suite.cases.append(ktapCase)
        }
        return suite
    }

    /// The run as one test case: its verdict, and the serial log in <system-out>.
    private func runCase(_ result: RunResult) -> JUnitCase {
        let verdict = result.verdict
        let detail =
            ([verdict.message] + verdict.details
            + ["rerun: \(result.rerunCommand)"]
            + (result.artifacts.map { ["artifacts: \($0)"] } ?? [])
            + ["last serial lines:"] + result.lastLines.map { "  " + $0 }).joined(separator: "\n")
        let type = verdict.watchdog.map { "\(verdict.kind.rawValue) (\($0.rawValue) watchdog)" } ?? verdict.kind.rawValue
        // From the scenario root, so the same file has the same class however it was named
        // (`../scenarios/x.yaml`, `/abs/path/x.yaml`), and never a leading '.'.
        let classname = (result.scenario.pathInRoot as NSString).deletingPathExtension
            .split(separator: "/").joined(separator: ".")
        var runCase = JUnitCase(classname: classname, name: result.displayName, time: result.duration.fixed3)
        switch verdict.status {
        case .passed: break
        case .skipped: runCase.outcome = .skipped(message: nil, text: verdict.message)
        case .failed: runCase.outcome = .failure(type: type, message: verdict.message, text: detail)
        case .error: runCase.outcome = .error(type: type, message: verdict.message, text: detail)
        }
        // A passing run's details (an expected hang's diagnosis) have no failure to live in: they
        // open its system-out, ahead of the serial log.
        let passedDetails =
            verdict.status == .passed && !verdict.details.isEmpty
            ? ([verdict.message] + verdict.details).joined(separator: "\n") + "\n\n" : ""
        runCase.systemOut = passedDetails + serialExcerpt(result)
        if !result.warnings.isEmpty {
            runCase.systemErr = result.warnings.map { "warning: " + $0 }.joined(separator: "\n")
        }
        return runCase
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
