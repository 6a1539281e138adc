import Testing

@testable import KTAP

@Suite struct KTAPParserTests {
    private func parse(_ text: String) -> KTAPParser {
        var parser = KTAPParser()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { parser.feed(line) }
        return parser
    }

    /// What our kernel prints for `ktest=*` (abridged), boot lines and kernel messages included.
    private let kernelOutput = """
        kernel: booting
        kernel: ready boot_ms=13 mem_mb=126 seed=1
        KTAP version 1
        1..2
            KTAP version 1
            # Subtest: frames
            1..2
            ok 1 single_frames
            ok 2 contiguous_aligned
        ok 1 frames
            KTAP version 1
            # Subtest: heap
            1..3
            ok 1 size_classes
                # mapped before=86016 peak=2179072 after=86016
            ok 2 growth_and_return_of_pages
        kfree: Invalid block or double free address=0x4000007010 kind=invalid
            ok 3 invalid_and_double_free_detected
        ok 2 heap
        ktest: all passed
        """

    @Test func nestedSuitesBecomeLeafCasesWithTheirSuiteNames() {
        let parser = parse(kernelOutput)
        #expect(parser.isFinished)
        #expect(parser.document.allPassed)
        let cases = parser.document.leafCases()
        #expect(
            cases.map { ($0.suite + [$0.test.name]).joined(separator: ".") } == [
                "frames.single_frames", "frames.contiguous_aligned",
                "heap.size_classes", "heap.growth_and_return_of_pages", "heap.invalid_and_double_free_detected",
            ])
        #expect(parser.document.tests.map(\.name) == ["frames", "heap"])
    }

    @Test func diagnosticsAndKernelMessagesStayWithTheirCase() {
        let cases = parse(kernelOutput).document.leafCases()
        #expect(cases[3].test.diagnostics == ["# mapped before=86016 peak=2179072 after=86016"])
        #expect(cases[4].test.diagnostics == ["kfree: Invalid block or double free address=0x4000007010 kind=invalid"])
    }

    @Test func skipTodoAndFailureDirectives() {
        let parser = parse(
            """
            KTAP version 1
            1..4
            ok 1 fast # SKIP no SMP
            not ok 2 flaky # TODO fix the race
            not ok 3 - broken
            ok 4 plain
            """)
        let tests = parser.document.tests
        #expect(tests.map(\.status) == [.skipped("no SMP"), .todo("fix the race"), .failed, .passed])
        #expect(tests[2].name == "broken")
        #expect(!parser.document.allPassed)
    }

    @Test func todoAndSkipAloneStillCountAsPassing() {
        let parser = parse("KTAP version 1\n1..2\nok 1 a # SKIP\nnot ok 2 b # TODO later\n")
        #expect(parser.document.allPassed)
    }

    @Test func failingSuiteWithPassingCasesStillFails() {
        let parser = parse(
            """
            KTAP version 1
            1..1
                KTAP version 1
                1..1
                ok 1 inner
            not ok 1 outer
            """)
        let cases = parser.document.leafCases()
        #expect(cases.count == 2)
        #expect(cases.last?.test.name == "outer")
        #expect(cases.last?.test.status == .failed)
    }

    @Test func streamCutShortReportsWhatNeverFinished() {
        var parser = parse(
            """
            KTAP version 1
            1..2
                KTAP version 1
                # Subtest: crash
                1..2
                ok 1 first
            KERNEL PANIC: out of memory
            """)
        #expect(!parser.isFinished)
        parser.finish()
        let document = parser.document
        #expect(!document.allPassed)
        #expect(document.missingCount == 1)
        let crash = document.tests.first
        #expect(crash?.name == "crash")
        #expect(crash?.subtests.map(\.name) == ["first"])
        #expect(crash?.missingSubtests == 1)
        #expect(document.leafCases().contains { $0.test.status == .failed })
    }

    @Test func linesBeforeTheHeaderAndIndentedHeadersAreIgnoredUntilItStarts() {
        let parser = parse("    KTAP version 1\nok 1 stray\n")
        #expect(!parser.hasStarted)
        #expect(parser.document.tests.isEmpty)
    }

    @Test func timesGiveEachCaseADuration() {
        var parser = KTAPParser()
        parser.feed("KTAP version 1", at: 1.0)
        parser.feed("1..2", at: 1.0)
        parser.feed("ok 1 quick", at: 1.25)
        parser.feed("ok 2 slow", at: 3.25)
        #expect(parser.document.tests.map(\.duration) == [0.25, 2.0])
    }

    @Test func durationDiagnosticGivesTheCaseItsOwnTime() {
        var parser = KTAPParser()
        for line in ["KTAP version 1", "1..1", "# duration_ms=1500", "ok 1 timed"] { parser.feed(line[...], at: 9) }
        #expect(parser.document.tests.first?.duration == 1.5)
    }

    @Test func carriageReturnsAreIgnored() {
        // Swift treats "\r\n" as one Character, so feed lines as the console splits them.
        var parser = KTAPParser()
        for line in ["KTAP version 1\r", "1..1\r", "ok 1 crlf\r"] { parser.feed(line[...]) }
        #expect(parser.document.tests.first?.name == "crlf")
        #expect(parser.isFinished)
    }
}
