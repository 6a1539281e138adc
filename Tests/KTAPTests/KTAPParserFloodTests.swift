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
