// `harness merge`: N JUnit reports (the shards of one run) joined into one. Every suite is kept
// as it was read, in the order of the files; a file that is missing, truncated or malformed
// becomes an error case naming it, so the merged report can never look complete without it.
import Foundation
import Runner

public struct ReportMerge {
    /// The merged report, and the files that could not be read (each also an error case in it).
    public let document: JUnitDocument
    public let problems: [JUnitReadError]

    public init(reading paths: [String]) {
        var document = JUnitDocument()
        var problems: [JUnitReadError] = []
        for path in paths {
            do {
                document.suites += try JUnitReader.read(path).suites
            } catch let problem as JUnitReadError {
                problems.append(problem)
                document.suites.append(Self.unreadable(problem))
            } catch {
                let problem = JUnitReadError(file: path, line: 0, reason: "\(error)")
                problems.append(problem)
                document.suites.append(Self.unreadable(problem))
            }
        }
        self.document = document
        self.problems = problems
    }

    /// The suite that stands for a shard's report that could not be read.
    static func unreadable(_ problem: JUnitReadError) -> JUnitSuite {
        var suite = JUnitSuite(name: "merge: \(problem.file)")
        suite.properties = [("merge.input", problem.file)]
        suite.cases = [
            JUnitCase(
                classname: "harness.merge", name: problem.file,
                outcome: .error(
                    type: "unreadable report", message: "shard report \(problem.file) could not be read",
                    text: "\(problem)\nIts runs are missing from this report: rerun that shard, or merge without it knowingly."
                ))
        ]
        return suite
    }

    /// Every run's outcome, for the flake rates over all shards (the stand-ins for unreadable
    /// reports are not runs of any scenario).
    public var outcomes: [RunOutcome] { document.suites.filter { !$0.standsForUnreadableReport }.map(\.outcome) }

    /// The closing line's counts: every run, and each unreadable report as one failure.
    public var counts: Summary.Counts { Summary.counts(document.suites.map(\.status)) }
}
