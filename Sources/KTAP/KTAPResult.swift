// What a KTAP stream says: a tree of test results, each a case or a suite of subtests.

public struct KTAPTest: Equatable {
    public enum Status: Equatable {
        case passed
        case failed
        /// `# SKIP reason`: not run.
        case skipped(String)
        /// `# TODO reason`: known to fail; KTAP counts it as not a failure.
        case todo(String)
    }

    public var number: Int
    public var name: String
    public var status: Status
    /// `# ...` lines and unrecognised lines printed while this test ran.
    public var diagnostics: [String]
    /// The nested KTAP document that ran as this test, if any.
    public var subtests: [KTAPTest]
    /// Subtests the nested plan announced but that never reported.
    public var missingSubtests: Int
    /// Seconds from the previous test's end to this result, when lines came with times.
    public var duration: Double?
}

/// A KTAP document (top level or nested): its plan and its results so far.
public struct KTAPDocument: Equatable {
    /// From a `# Subtest: name` line, for nested documents.
    public var name: String?
    public var plannedCount: Int?
    public var tests: [KTAPTest] = []
    /// Diagnostics outside any test (before the first result, or after the last).
    public var diagnostics: [String] = []
    /// Results of this document that came after the parser's `maximumResults`: counted (for
    /// the plan), not kept.
    public var unkeptResults = 0
    /// Failed results (`not ok` without `# TODO`) that were not kept, in this document or any
    /// nested one, and failed cases of nested documents whose own result was not kept.
    public var unkeptFailures = 0

    /// Tests announced by the plan that never reported (e.g. the kernel hung or panicked).
    public var missingCount: Int { max(0, (plannedCount ?? reportedCount) - reportedCount) }
    /// Results this document received, kept or not.
    public var reportedCount: Int { tests.count + unkeptResults }

    /// Leaf cases with their path of suite names, depth first: one JUnit test case each.
    public func leafCases(prefix: [String] = []) -> [(suite: [String], test: KTAPTest)] {
        tests.flatMap { test -> [(suite: [String], test: KTAPTest)] in
            if test.subtests.isEmpty { return [(prefix, test)] }
            var cases = KTAPDocument(name: test.name, plannedCount: nil, tests: test.subtests).leafCases(
                prefix: prefix + [test.name])
            // A suite that failed while all its cases passed (or whose cases never reported)
            // must still show as a failure of its own.
            let childFailed = cases.contains { $0.test.status == .failed }
            if test.status == .failed && !childFailed || test.missingSubtests > 0 {
                var own = test
                own.subtests = []
                if test.missingSubtests > 0 {
                    own.status = .failed
                    own.diagnostics.append("\(test.missingSubtests) planned subtest(s) never reported")
                }
                cases.append((prefix, own))
            }
            return cases
        }
    }

    /// True when every test reported, none failed, and the plan was met.
    public var allPassed: Bool {
        plannedCount != nil && missingCount == 0 && unkeptFailures == 0
            && leafCases().allSatisfy { if case .failed = $0.test.status { return false } else { return true } }
    }
}
