// `harness merge -o OUT IN...`: the shards' JUnit reports joined into one, with the summary and
// closing line of a single run and the HTML report beside OUT.
import ArgumentParser
import Foundation
import HTMLReport
import JUnitReport
import Runner

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge JUnit reports (the shards of one run) into one, and write its HTML report beside it.",
        discussion: """
            Every run of every report is kept; flake rates are recomputed over all of them. A report \
            that is missing, truncated or malformed becomes an error case naming it, and the exit \
            status is 1. Artifacts folders are referenced where the reports name them, not copied.
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the merged JUnit report.", valueName: "path"))
    var output: String

    @Argument(help: ArgumentHelp("The JUnit reports to merge.", valueName: "report"))
    var reports: [String]

    func validate() throws {
        guard !reports.isEmpty else { throw ValidationError("name at least one report to merge") }
        let outputPath = URL(fileURLWithPath: output).standardizedFileURL.path
        if reports.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.path == outputPath }) {
            throw ValidationError("-o \(output) is also an input: the merged report would overwrite a shard")
        }
    }

    func run() throws {
        let merge = ReportMerge(reading: reports)
        for problem in merge.problems { printError("harness: merge: ERROR: \(problem)") }
        let suites = merge.document.suites
        if !suites.isEmpty {
            printError(
                Summary.table(
                    rows: suites.map {
                        (
                            status: $0.status, name: $0.name, seed: $0.seed.map(String.init) ?? "-",
                            seconds: Double($0.time) ?? 0, detail: $0.runCase?.outcome.message ?? ""
                        )
                    }))
        }
        for rate in FlakeRate.rates(merge.outcomes) { printError(rate.line) }
        var written = true
        do {
            try JUnitReport.write(to: output) { try $0.write(contentsOf: Data(merge.document.xml.utf8)) }
            printError("harness: merged \(reports.count) reports (\(suites.count) runs) into \(output)")
            printError("harness: HTML report in \(try HTMLReport.write(besideJUnit: output))")
        } catch {
            written = false
            printError("harness: ERROR: the merged report could not be written: \(error)")
        }
        print(Summary.closingLine(merge.counts))
        if !merge.problems.isEmpty || merge.counts.failed > 0 || !written { throw ExitCode.failure }
    }
}
