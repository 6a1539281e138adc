// The in-kernel test runner: selects tests by a `suite.case` glob from the command line, runs
// them in order and prints KTAP. Suites that end the machine (`crash`) or only print figures
// (`bench`) run only when the glob names them without a wildcard in the suite part.

/// What a test body uses to check and report.
struct TestContext {
    private(set) var failed = false

    /// Records a failure with `what` and the line of the check when `condition` is false.
    mutating func expect(_ condition: Bool, _ what: StaticString, line: UInt = #line) {
        if condition { return }
        failed = true
        Console.line { l in
            l.text("        # FAIL: ")
            l.text(what)
            l.text(" (line ")
            l.dec(UInt64(line))
            l.text(")")
        }
    }

    /// A diagnostic line under the current test (`# ...`).
    func note(_ body: (ConsoleLine) -> Void) {
        Console.line { l in
            l.text("        # ")
            body(l)
        }
    }
}

struct KernelTest {
    let name: StaticString
    let body: (inout TestContext) -> Void
}

struct KernelTestSuite {
    let name: StaticString
    /// Runs only when the glob names the suite without a wildcard.
    let explicitOnly: Bool
    let tests: [KernelTest]
}

enum KernelTests {
    static func allSuites() -> [KernelTestSuite] {
        [
            FrameAllocatorTests.suite, PagingTests.suite, HeapTests.suite, RuntimeAllocatorTests.suite,
            SMPTests.suite, ProcessTests.suite, CrashTests.suite, SoakTests.suite, HeapBenchmark.suite,
        ]
    }

    /// Runs every selected test and prints KTAP. True when none failed.
    static func run(glob: CommandLineSlice) -> Bool {
        let suites = allSuites()
        var selectedSuites = 0
        for suite in suites where suite.tests.contains(where: { selects(glob, suite, $0) }) { selectedSuites += 1 }
        KTAP.header(indent: false)
        KTAP.plan(selectedSuites, indent: false)
        var allPassed = true
        var suiteNumber = 0
        for suite in suites {
            let count = suite.tests.filter { selects(glob, suite, $0) }.count
            if count == 0 { continue }
            suiteNumber += 1
            KTAP.header(indent: true)
            KTAP.subtest(suite.name)
            KTAP.plan(count, indent: true)
            var suitePassed = true
            var caseNumber = 0
            for test in suite.tests where selects(glob, suite, test) {
                caseNumber += 1
                var context = TestContext()
                let started = Clock.millisecondsSinceBoot
                test.body(&context)
                context.note {
                    $0.text("duration_ms=")
                    $0.dec(Clock.millisecondsSince(started))
                }
                KTAP.result(!context.failed, number: caseNumber, name: test.name, indent: true)
                if context.failed { suitePassed = false }
            }
            KTAP.result(suitePassed, number: suiteNumber, name: suite.name, indent: false)
            if !suitePassed { allPassed = false }
        }
        Console.line { $0.text(allPassed ? "ktest: all passed" : "ktest: some tests failed") }
        return allPassed
    }

    /// Whether `glob` selects `test` of `suite` (matched against `suite.test`).
    static func selects(_ glob: CommandLineSlice, _ suite: KernelTestSuite, _ test: KernelTest) -> Bool {
        if suite.explicitOnly {
            var i = 0
            while i < glob.count && glob.byte(i) != UInt8(ascii: ".") {
                if glob.byte(i) == UInt8(ascii: "*") || glob.byte(i) == UInt8(ascii: "?") { return false }
                i += 1
            }
        }
        return Glob.matches(glob, suite: suite.name, test: test.name)
    }
}

/// `*` and `?` matching of a command-line slice against `suite.test`, without allocating.
enum Glob {
    static func matches(_ glob: CommandLineSlice, suite: StaticString, test: StaticString) -> Bool {
        let suiteCount = suite.utf8CodeUnitCount
        let total = suiteCount + 1 + test.utf8CodeUnitCount
        func name(_ i: Int) -> UInt8 {
            if i < suiteCount { return suite.utf8Start[i] }
            if i == suiteCount { return UInt8(ascii: ".") }
            return test.utf8Start[i - suiteCount - 1]
        }
        // Iterative matching with one backtrack point for the last `*`.
        var g = 0
        var n = 0
        var starG = -1
        var starN = 0
        while n < total {
            if g < glob.count && (glob.byte(g) == UInt8(ascii: "?") || glob.byte(g) == name(n)) {
                g += 1
                n += 1
            } else if g < glob.count && glob.byte(g) == UInt8(ascii: "*") {
                starG = g
                starN = n
                g += 1
            } else if starG >= 0 {
                g = starG + 1
                starN += 1
                n = starN
            } else {
                return false
            }
        }
        while g < glob.count && glob.byte(g) == UInt8(ascii: "*") { g += 1 }
        return g == glob.count
    }
}
