import Testing

@testable import KTAP

/// A guest printing KTAP lines without end: the parser's work per line and what it keeps for
/// problems must not grow with what came before.
@Suite(.timeLimit(.minutes(1))) struct KTAPParserFloodTests {
    @Test func aHundredThousandResultsAreReadWithoutCopyingThemAll() {
        // Each line copied every result so far (the published document shared their array):
        // quadratic, minutes for this many.
        var parser = KTAPParser()
        parser.feed("KTAP version 1")
        parser.feed("1..100000")
        for number in 1...100_000 { parser.feed(Substring("ok \(number) case_\(number)")) }
        #expect(parser.isFinished)
        #expect(parser.document.tests.count == 100_000)
        #expect(parser.document.allPassed)
    }

    @Test func problemsAreKeptUpToTheCap() {
        var parser = KTAPParser()
        parser.feed("KTAP version 1")
        for _ in 0..<1000 { parser.feed("1..x") }
        #expect(parser.problems.count == KTAPParser.maximumKept)
    }
}

/// Past `maximumResults`, results are counted, not kept: the plan and the verdict still see them.
@Suite struct KTAPParserResultCapTests {
    @Test func resultsPastTheCapAreCountedAndTheirFailuresStillFail() {
        var parser = KTAPParser()
        let extra = 50
        parser.feed("KTAP version 1")
        parser.feed(Substring("1..\(KTAPParser.maximumResults + extra)"))
        for number in 1...KTAPParser.maximumResults { parser.feed(Substring("ok \(number) case_\(number)")) }
        for number in 1...extra {
            let index = KTAPParser.maximumResults + number
            switch number {
            case 10, 20: parser.feed(Substring("not ok \(index) late_failure"))
            case 30: parser.feed(Substring("not ok \(index) known # TODO not fixed yet"))
            default: parser.feed(Substring("ok \(index) late_case"))
            }
        }
        #expect(parser.isFinished, "the plan counts the results that were not kept")
        #expect(parser.document.tests.count == KTAPParser.maximumResults)
        #expect(parser.document.unkeptResults == extra && parser.document.unkeptFailures == 2)
        #expect(parser.document.missingCount == 0)
        #expect(!parser.document.allPassed)
        #expect(parser.problems == ["more than \(KTAPParser.maximumResults) results: later ones are counted, not kept"])
    }

    @Test func aNestedSuitePastTheCapPassesItsFailuresUp() {
        var parser = KTAPParser()
        parser.feed("KTAP version 1")
        parser.feed("1..2")
        parser.feed("    KTAP version 1")
        parser.feed("    # Subtest: big")
        parser.feed(Substring("    1..\(KTAPParser.maximumResults + 1)"))
        for number in 1...KTAPParser.maximumResults { parser.feed(Substring("    ok \(number) case_\(number)")) }
        parser.feed(Substring("    not ok \(KTAPParser.maximumResults + 1) the_last"))
        parser.feed("not ok 1 big")
        parser.feed("ok 2 after")  // past the cap too: counted for the plan
        parser.finish()
        let document = parser.document
        #expect(document.tests.count == 0 && document.unkeptResults == 2)
        #expect(document.unkeptFailures == 2, "the suite's own failure and its unkept case's")
        #expect(document.missingCount == 0 && !document.allPassed)
    }
}
