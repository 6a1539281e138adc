// A KTAP stream judged as Linux's tools/testing/kunit/kunit_parser.py judges it: leaf cases
// counted as passed, failed, crashed (announced by a plan, never reported) or skipped; errors for
// what breaks the format (numbers out of order, a planned test missing, a suite without results
// or without its result line); the run's status from the counts. A suite's own result counts
// only when it has no cases. The conformance corpus (Tests/KTAPTests/Conformance) holds the
// facts this is checked against.

public struct KTAPCounts: Equatable, CustomStringConvertible {
    public var passed = 0
    public var failed = 0
    public var crashed = 0
    public var skipped = 0
    public var errors = 0

    public init(passed: Int = 0, failed: Int = 0, crashed: Int = 0, skipped: Int = 0, errors: Int = 0) {
        (self.passed, self.failed, self.crashed, self.skipped, self.errors) = (passed, failed, crashed, skipped, errors)
    }

    public var total: Int { passed + failed + crashed + skipped }

    /// "Ran 3 tests: passed: 2, failed: 1" (KUnit's wording).
    public var description: String {
        let parts = [("passed", passed), ("failed", failed), ("crashed", crashed), ("skipped", skipped), ("errors", errors)]
        return "Ran \(total) tests: " + parts.filter { $0.1 > 0 }.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
    }
}

public struct KTAPSummary: Equatable {
    /// KUnit's names for a run's outcome.
    public enum Status: String, Equatable {
        case success = "SUCCESS"
        case failure = "FAILURE"
        case skipped = "SKIPPED"
        case crashed = "TEST_CRASHED"
        case noTests = "NO_TESTS"
        case failureToParse = "FAILURE_TO_PARSE_TESTS"
    }

    public var status: Status
    public var counts: KTAPCounts
    /// The errors, as sentences (the first `KTAPParser.maximumKept`).
    public var errors: [String]

    /// Results past the top-level plan, which KUnit ignores: reported, not judged.
    public var beyondPlan = 0

    /// The run passes when KUnit's would: its cases passed (skips allowed), or all were skipped.
    public var passed: Bool { status == .success || status == .skipped }
}

extension KTAPParser {
    /// The stream judged as KUnit does; call after `finish()` for a stream that ended.
    public var summary: KTAPSummary {
        guard hasStarted else {
            return KTAPSummary(status: .failureToParse, counts: KTAPCounts(errors: 1), errors: ["no KTAP output"])
        }
        var counts = KTAPCounts(errors: errorCount)
        var errors = self.errors
        let top = document
        // Results past the top-level plan are not read (KUnit stops at the plan).
        for test in top.tests.prefix(top.plannedCount ?? top.tests.count) {
            Self.count(test, path: [], into: &counts, errors: &errors)
        }
        // Failures past the results kept are counted, not classified further.
        counts.failed += top.unkeptFailures
        counts.passed += max(0, top.unkeptResults - top.unkeptFailures)
        Self.countMissing(top.missingCount, in: "main", into: &counts, errors: &errors)
        let status: KTAPSummary.Status
        if top.reportedCount == 0 && top.missingCount == 0 {
            counts.errors += 1
            errors.append("0 tests run!")
            status = .noTests
        } else if counts.total == 0 {
            status = .noTests
        } else if counts.crashed > 0 {
            status = .crashed
        } else if counts.failed > 0 {
            status = .failure
        } else if counts.passed > 0 {
            status = .success
        } else {
            status = .skipped
        }
        var summary = KTAPSummary(status: status, counts: counts, errors: Array(errors.prefix(Self.maximumKept)))
        summary.beyondPlan = max(0, top.reportedCount - (top.plannedCount ?? top.reportedCount))
        return summary
    }

    private static func count(_ test: KTAPTest, path: [String], into counts: inout KTAPCounts, errors: inout [String]) {
        let name = (path + [test.name]).joined(separator: ".")
        if test.isSuite {
            for subtest in test.subtests { count(subtest, path: path + [test.name], into: &counts, errors: &errors) }
            countMissing(test.missingSubtests, in: name, into: &counts, errors: &errors)
            if test.resultMissing {
                counts.errors += 1
                errors.append("\(name): missing subtest result line!")
            }
            guard test.subtests.isEmpty && test.missingSubtests == 0 else { return }
            // A suite that ran no cases: its own result counts, unless it passed (or never came).
            if test.status == .passed || test.resultMissing {
                counts.errors += 1
                errors.append("\(name): 0 tests run!")
                return
            }
        }
        switch test.status {
        case .passed, .todo: counts.passed += 1
        case .failed: counts.failed += 1
        case .skipped: counts.skipped += 1
        }
    }

    private static func countMissing(_ missing: Int, in name: String, into counts: inout KTAPCounts, errors: inout [String]) {
        guard missing > 0 else { return }
        counts.crashed += missing
        counts.errors += missing
        errors.append("\(name): \(missing) missing expected subtest(s)")
    }
}
