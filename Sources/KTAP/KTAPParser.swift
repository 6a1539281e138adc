// Incremental KTAP version 1 parser (Linux Documentation/dev-tools/ktap.rst). Lines arrive one at
// a time from the serial console, mixed with the kernel's other output; nesting is by
// indentation (four spaces per level), and a nested document's results become the subtests of
// the next result line one level up.

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
        let indent = line.prefix { $0 == " " }.count
        let body = line.dropFirst(indent)

        if body.hasPrefix("KTAP version ") || body.hasPrefix("TAP version ") {
            if !hasStarted {
                guard indent == 0 else { return }
                hasStarted = true
                stack = [KTAPDocument()]
                indents = [0]
            } else {
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
        let level = indents.lastIndex { $0 <= indent } ?? 0

        if body.hasPrefix("1..") {
            if let count = Int(body.dropFirst(3).prefix { $0.isNumber }) {
                stack[level].plannedCount = count
            } else {
                noteProblem("bad plan: \(body)")
            }
        } else if body.hasPrefix("ok ") || body.hasPrefix("not ok ") {
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
        body.hasPrefix("ok ") || body.hasPrefix("not ok ") || body.hasPrefix("1..")
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

        var status: KTAPTest.Status = passed ? .passed : .failed
        if let directive {
            let text = directive.drop { $0 == " " }
            if text.uppercased().hasPrefix("SKIP") {
                status = .skipped(String(text.dropFirst(4).drop { $0 == " " }))
            } else if text.uppercased().hasPrefix("TODO") {
                status = .todo(String(text.dropFirst(4).drop { $0 == " " }))
            }
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
                    missingSubtests: max(1, child.document.missingCount), duration: nil))
            stack[0].unkeptFailures += child.document.unkeptFailures
            pendingChild = nil
        }
        if !stack.isEmpty { stack[0].diagnostics += pendingDiagnostics[0] ?? [] }
        pendingDiagnostics = [:]
    }
}
