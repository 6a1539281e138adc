// Incremental KTAP version 1 parser (Linux Documentation/dev-tools/ktap.rst). Lines arrive one at
// a time from the serial console, mixed with the kernel's other output; nesting is by
// indentation (four spaces per level), opened by a nested version line or, as Linux's KUnit
// prints it, by a `# Subtest:` line alone (TAP 14); a nested document's results become the
// subtests of the next result line one level up. A prefix before the first version line (a
// printk timestamp, `[    1.234000] `) is cut from every later line that has one, as Linux's
// kunit_parser.py does. How the results are judged is KTAPSummary.

public struct KTAPParser {
    /// The top-level document, complete once `isFinished`. Read from the stack, not kept as a
    /// copy: a copy shares the tests array, so every result appended after it copied the whole
    /// array (quadratic in the results, a hang for a guest printing result lines without end).
    public var document: KTAPDocument { stack.first ?? KTAPDocument() }
    /// Set once "KTAP version 1" (or "TAP version 14") was seen at the top level.
    public private(set) var hasStarted = false
    /// Lines that looked like KTAP but could not be read, with the reason (kept for the report;
    /// the first `maximumKept`, as for diagnostics).
    public private(set) var problems: [String] = []
    public static let maximumKept = 200
    /// Results kept in the whole stream; later ones are only counted, in their document's
    /// `unkeptResults` and `unkeptFailures`, so that a guest printing results without end
    /// cannot exhaust the harness's memory (each result costs a few hundred bytes).
    public static let maximumResults = 100_000
    /// Results kept so far, at every level.
    private var keptResults = 0
    /// What KUnit counts as errors in the stream: results numbered out of order (the plan's
    /// shortfall is counted by KTAPSummary). The first `maximumKept`; `errorCount` counts all.
    public private(set) var errors: [String] = []
    public private(set) var errorCount = 0
    /// The text before the first version line (a printk timestamp), cut from later lines.
    private var prefix: Substring = ""

    /// Open documents: index 0 is the top level, the last is the innermost.
    private var stack: [KTAPDocument] = []
    /// Indentation (in characters) of each open document.
    private var indents: [Int] = []

    public init() {}

    /// True once the top-level plan is met.
    public var isFinished: Bool {
        hasStarted && stack.count <= 1 && document.plannedCount.map { document.reportedCount >= $0 } == true
    }

    /// Feeds one line. `time` (seconds, any origin) gives each result a duration: the time since
    /// the previous KTAP line that started or ended a test.
    public mutating func feed(_ rawLine: Substring, at time: Double? = nil) {
        currentTime = time
        var line = rawLine
        if line.last == "\r" { line = line.dropLast() }
        if !hasStarted, let start = Self.printkPrefixedStart(line) {
            prefix = line[..<start]
            line = line[start...]
        } else if !prefix.isEmpty, line.count >= prefix.count, line.hasPrefix("[") {
            line = line.dropFirst(prefix.count)
        }
        let indent = line.prefix { $0 == " " }.count
        let body = line.dropFirst(indent)

        if body.hasPrefix("KTAP version ") || body.hasPrefix("TAP version ") {
            if !hasStarted {
                guard indent == 0 else { return }
                hasStarted = true
                checkVersion(body)
                stack = [KTAPDocument()]
                indents = [0]
            } else {
                checkVersion(body)
                closeDocuments(deeperThan: indent)
                if indent > indents.last! {
                    stack.append(KTAPDocument())
                    indents.append(indent)
                }
            }
            lastMark = time
            return
        }
        guard hasStarted, !stack.isEmpty else { return }

        // A line less indented than the innermost document ends that document.
        if indent < indents.last! && isResultOrPlan(body) { closeDocuments(deeperThan: indent) }
        // A `# Subtest:` line, plan or result more indented than the innermost document opens a
        // nested one without a version line (KUnit before 6.0 printed "TAP version 14" and
        // nested suites by `# Subtest:` alone).
        if indent > indents.last! && (isResultOrPlan(body) || body.hasPrefix("# Subtest:")) {
            stack.append(KTAPDocument())
            indents.append(indent)
        }
        let level = indents.lastIndex { $0 <= indent } ?? 0

        if body.hasPrefix("1..") {
            if let count = Int(body.dropFirst(3).prefix { $0.isNumber }) {
                stack[level].plannedCount = count
            } else {
                noteProblem("bad plan: \(body)")
            }
        } else if Self.isResult(body) {
            record(result: body, level: level)
        } else if body.hasPrefix("# Subtest:") {
            stack[level].name = String(body.dropFirst(10).drop { $0 == " " })
        } else if body.hasPrefix("#") {
            appendDiagnostic(String(body), level: level)
        } else if !body.isEmpty {
            // Unknown lines are allowed by KTAP: kernel messages printed by the test running
            // now, whatever their indentation. Keep them with the innermost open document.
            appendDiagnostic(String(body), level: stack.count - 1)
        }
    }

    private func isResultOrPlan(_ body: Substring) -> Bool {
        Self.isResult(body) || body.hasPrefix("1..")
    }

    /// `ok N name` or `not ok N name`: a result line as KUnit reads one. A result without a
    /// name (`ok 3`) is not one: kunit_parser.py takes it for a diagnostic line, and the test
    /// it stood for as never reported.
    static func isResult(_ body: Substring) -> Bool {
        let rest: Substring
        if body.hasPrefix("ok ") {
            rest = body.dropFirst(3)
        } else if body.hasPrefix("not ok ") {
            rest = body.dropFirst(7)
        } else {
            return false
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        return !digits.isEmpty && rest.dropFirst(digits.count).first == " "
    }

    /// Where "KTAP version"/"TAP version" starts after a printk prefix (`[    1.234000] `,
    /// optionally with its caller id `[    T1] `); nil for any other line.
    static func printkPrefixedStart(_ line: Substring) -> Substring.Index? {
        guard line.hasPrefix("["), let found = line.firstRange(of: "TAP version ") else { return nil }
        var start = found.lowerBound
        if start > line.startIndex, line[line.index(before: start)] == "K" { start = line.index(before: start) }
        let head = line[..<start]
        guard head.last == " ", head.allSatisfy({ "[] .0123456789TC".contains($0) }) else { return nil }
        return start
    }

    private mutating func record(result body: Substring, level: Int) {
        let passed = body.hasPrefix("ok ")
        var rest = body.dropFirst(passed ? 3 : 7)
        let digits = rest.prefix { $0.isNumber }
        guard let number = Int(digits) else {
            noteProblem("result without a number: \(body)")
            return
        }
        rest = rest.dropFirst(digits.count)
        var name = Substring("")
        var directive: Substring?
        if let hash = rest.firstIndex(of: "#") {
            name = rest[..<hash]
            directive = rest[rest.index(after: hash)...]
        } else {
            name = rest
        }
        name = name.drop { $0 == " " || $0 == "-" }
        while name.last == " " { name = name.dropLast() }

        // As KUnit: `# SKIP` skips whether ok or not ok; `# TODO` changes nothing (a `not ok`
        // marked TODO is a failure, an `ok` one passes, its reason kept).
        var status: KTAPTest.Status = passed ? .passed : .failed
        if let directive {
            let text = directive.drop { $0 == " " }
            if text.hasPrefix("SKIP") {
                status = .skipped(String(text.dropFirst(4).drop { $0 == " " }))
            } else if text.hasPrefix("TODO"), passed {
                status = .todo(String(text.dropFirst(4).drop { $0 == " " }))
            }
        }
        let expectedNumber = stack[level].reportedCount + 1
        if number != expectedNumber {
            noteError("\(stack[level].name.map { $0 + ": " } ?? "")expected test number \(expectedNumber) but found \(number)")
        }

        // Results of a nested document closed just before this line are this test's subtests.
        var test = KTAPTest(
            number: number, name: String(name), status: status, diagnostics: [],
            subtests: [], missingSubtests: 0)
        if let currentTime, let lastMark { test.duration = max(0, currentTime - lastMark) }
        lastMark = currentTime
        // Our kernel states each case's own time (`# duration_ms=<n>`): better than the
        // serial timestamps, which include printing and the host's scheduling.
        for line in pendingDiagnostics[level, default: []] where line.hasPrefix("# duration_ms=") {
            if let millis = Double(line.dropFirst("# duration_ms=".count)) { test.duration = millis / 1000 }
        }
        if let finishedChild = pendingChild, finishedChild.level == level + 1 {
            test.isSuite = true
            test.subtests = finishedChild.document.tests
            test.missingSubtests = finishedChild.document.missingCount
            test.diagnostics = finishedChild.document.diagnostics
            // Failures the nested document could not keep count one level up, and so on to the top.
            stack[level].unkeptFailures += finishedChild.document.unkeptFailures
        }
        pendingChild = nil
        test.diagnostics = pendingDiagnostics[level, default: []] + test.diagnostics
        pendingDiagnostics[level] = nil
        keep(test, level: level)
        if stack.count > level + 1 {
            // A result at this level ends any deeper document still open.
            closeDocuments(deeperThan: indents[level])
            pendingChild = nil
        }
    }

    /// Appends `test` to the document at `level`, or past `maximumResults` only counts it
    /// there, with its failures (its own, its subtests', a plan its subtests did not meet).
    private mutating func keep(_ test: KTAPTest, level: Int) {
        if keptResults < Self.maximumResults {
            keptResults += 1
            stack[level].tests.append(test)
            return
        }
        if stack[level].unkeptResults == 0 {
            noteProblem("more than \(Self.maximumResults) results: later ones are counted, not kept")
        }
        stack[level].unkeptResults += 1
        stack[level].unkeptFailures += KTAPDocument(tests: [test]).leafCases().filter { $0.test.status == .failed }.count
    }

    private var currentTime: Double?
    /// When the previous test ended (or the document started): where the next test's time starts.
    private var lastMark: Double?

    /// Diagnostics seen since the previous result at a level belong to the next result there.
    private var pendingDiagnostics: [Int: [String]] = [:]
    /// The most recently closed nested document, waiting for its parent's result line.
    private var pendingChild: (level: Int, document: KTAPDocument)?

    /// KTAP 1, or TAP 13 and 14 as KUnit accepts them; another version is an error.
    private mutating func checkVersion(_ body: Substring) {
        let isKTAP = body.hasPrefix("KTAP")
        guard let version = Int(body.drop { !$0.isNumber }) else { return }
        let accepted = isKTAP ? 1...1 : 13...14
        if !accepted.contains(version) {
            noteError("\(isKTAP ? "KTAP" : "TAP") version \(version) is not \(isKTAP ? "1" : "13 or 14")")
        }
    }

    private mutating func noteError(_ text: String) {
        errorCount += 1
        if errors.count < Self.maximumKept { errors.append(text) }
    }

    private mutating func noteProblem(_ text: String) {
        if problems.count < Self.maximumKept { problems.append(text) }
    }

    private mutating func appendDiagnostic(_ text: String, level: Int) {
        guard pendingDiagnostics[level, default: []].count < Self.maximumKept else { return }
        pendingDiagnostics[level, default: []].append(text)
    }

    private mutating func closeDocuments(deeperThan indent: Int) {
        while indents.count > 1, indents.last! > indent {
            var closed = stack.removeLast()
            indents.removeLast()
            closed.diagnostics += pendingDiagnostics[stack.count] ?? []
            pendingDiagnostics[stack.count] = nil
            pendingChild = (stack.count, closed)
        }
    }

    /// The stream ended (the kernel exited, hung or panicked): close what is open, so a nested
    /// suite cut short still shows its finished cases and what is missing.
    public mutating func finish() {
        closeDocuments(deeperThan: -1)
        if let child = pendingChild, !stack.isEmpty {
            // The suite's own result line never came: report it as failed with its cases.
            let number = (stack[0].tests.last?.number ?? 0) + 1
            stack[0].tests.append(
                KTAPTest(
                    number: number, name: child.document.name ?? "(unfinished suite)", status: .failed,
                    diagnostics: child.document.diagnostics + ["the suite's result line never came"],
                    subtests: child.document.tests,
                    missingSubtests: child.document.missingCount, duration: nil, isSuite: true,
                    resultMissing: true))
            stack[0].unkeptFailures += child.document.unkeptFailures
            pendingChild = nil
        }
        if !stack.isEmpty { stack[0].diagnostics += pendingDiagnostics[0] ?? [] }
        pendingDiagnostics = [:]
    }
}
