// `harness merge` on reports the harness really wrote: three shards of a run (small guests that
// pass, fail and print hostile bytes) read back exactly by JUnitReader, merged into their union
// with flake rates over all shards, and a missing or truncated shard failing the merge by name.
import Foundation
import JUnitReport
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(4))) struct ReportMergeEndToEndTests {
    /// The three shards' reports, written by real runs in `folder`.
    static func shards(in folder: URL) throws -> [String] {
        let text = try FloodGuest.build(.text, records: 3, in: folder)
        let hostile = try FloodGuest.build(.hostile, records: 2, in: folder)
        func scenario(_ name: String, _ image: String, exit: Int) throws {
            try """
            machine: {kernel: \(image), memory: 32M, vcpus: 1}
            watchdogs: {silence: 20s, deadline: 60s}
            never: ["KERNEL PANIC"]
            steps:
              - wait-serial: {pattern: "\(name == "hostile" ? "hostile:" : "flood:")", within: 30s}
            expect: {exit: \(exit)}
            """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        try scenario("pass", text, exit: 33)
        try scenario("fail", text, exit: 34)
        try scenario("hostile", hostile, exit: 33)
        // The real kernel's heap self-tests: a suite with KTAP cases to read back too.
        try """
        machine: {vcpus: 1, cmdline: "ktest=heap.* seed={seed}"}
        watchdogs: {silence: 30s, deadline: 90s}
        expect: {ktap: {all-pass: true}}
        """.write(to: folder.appendingPathComponent("ktap.yaml"), atomically: true, encoding: .utf8)
        let plans: [[String]] = [
            ["pass.yaml", "fail.yaml"], ["hostile.yaml", "--repeat", "2"], ["fail.yaml", "ktap.yaml", "--seed", "9"],
        ]
        var reports: [String] = []
        for (index, plan) in plans.enumerated() {
            let junit = folder.appendingPathComponent("shard\(index + 1)/junit.xml").path
            let run = try HarnessProcess.run(
                plan.map { $0.hasSuffix(".yaml") ? folder.appendingPathComponent($0).path : $0 } + [
                    "--junit", junit, "--artifacts", folder.appendingPathComponent("shard\(index + 1)/artifacts").path,
                    "--allow-dir", folder.path, "--allow-dir", KernelScenario.kernelDirectory, "--jobs", "2",
                ])
            #expect(run.status == (index == 1 ? 0 : 1), "shard \(index + 1): \(run.errors)")
            #expect(run.errors.contains("harness: HTML report in \(folder.path)/shard\(index + 1)/report.html"))
            reports.append(junit)
        }
        return reports
    }

    @Test func threeShardsMergeIntoTheirUnionAndAMissingOrTruncatedOneFailsByName() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reports = try Self.shards(in: folder)

        // Read back exactly: written again, every shard's suites are the very text the harness wrote.
        var union: [JUnitSuite] = []
        for report in reports {
            let text = try String(contentsOfFile: report, encoding: .utf8)
            let document = try JUnitReader.read(report)
            let suitesText = document.suites.map(\.xml).joined()
            #expect(text.hasSuffix(suitesText + "</testsuites>\n"), "\(report) read and written again differs")
            #expect(text.components(separatedBy: "<testsuite ").count - 1 == document.suites.count)
            union += document.suites
        }
        #expect(union.count == 6)
        let ktap = try #require(union.first { $0.name == "ktap" })
        #expect(ktap.cases.count > 3 && ktap.status == .passed, "\(ktap.cases.count) cases")
        let failed = try #require(union.first { $0.name == "fail" && $0.seed == 9 })
        #expect(failed.runCase?.outcome.message?.contains("QEMU exited with 33, expected 34") == true)
        #expect(failed.artifacts.map { FileManager.default.fileExists(atPath: "\($0)/serial.log") } == true)
        #expect(failed.rerunCommand?.contains("--seed 9") == true)
        #expect(failed.property("patterns.expected") == "flood:")
        let hostile = try #require(union.first { $0.name == "hostile #2" })
        #expect(
            hostile.runCase?.systemOut?.contains("hostile: \\x00\u{FFFD}") == true,
            "\(hostile.runCase?.systemOut?.prefix(80) ?? "")")

        let merged = folder.appendingPathComponent("merged/junit.xml").path
        let merge = try HarnessProcess.run(["merge", "-o", merged] + reports)
        #expect(merge.status == 1, "a failed run fails the merge: \(merge.errors)")
        #expect(merge.errors.contains("harness: 4 passed, 2 failed"), "\(merge.errors)")
        #expect(merge.errors.contains("harness: flake rate fail: 2/2 (100.0 %, 95 % CI 34.2–100.0 %), seeds "), "\(merge.errors)")
        #expect(merge.errors.contains("harness: flake rate hostile: 0/2 (0.0 %, 95 % CI 0.0–65.8 %)"), "\(merge.errors)")
        #expect(try SchemaValidator.problems(in: merged) == nil)
        let document = try JUnitReader.read(merged)
        #expect(document.suites.map(\.xml) == union.map(\.xml), "the merged report is the union of the shards")
        let mergedText = try String(contentsOfFile: merged, encoding: .utf8)
        #expect(
            mergedText.contains(
                "<testsuites name=\"harness\" tests=\"\(union.map(\.cases.count).reduce(0, +))\" failures=\"2\" errors=\"0\""))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("merged/report.html").path))

        // A missing shard and a truncated one: errors naming them, in the report and the exit status.
        let truncated = folder.appendingPathComponent("truncated.xml").path
        let whole = try Data(contentsOf: URL(fileURLWithPath: reports[1]))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: truncated))
        let missing = folder.appendingPathComponent("shard4/junit.xml").path
        let broken = folder.appendingPathComponent("broken/junit.xml").path
        let partial = try HarnessProcess.run(["merge", "-o", broken, reports[0], missing, truncated])
        #expect(partial.status == 1)
        #expect(partial.errors.contains("harness: merge: ERROR: \(missing):0: cannot read the report"), "\(partial.errors)")
        #expect(partial.errors.contains("harness: merge: ERROR: \(truncated):"), "\(partial.errors)")
        let brokenDocument = try JUnitReader.read(broken)
        let standIns = brokenDocument.suites.filter(\.standsForUnreadableReport)
        #expect(standIns.map { $0.runCase?.name } == [missing, truncated])
        #expect(standIns.allSatisfy { $0.status == .error })
        #expect(try SchemaValidator.problems(in: broken) == nil)
    }

    @Test func aTruncatedReportIsRefusedWithItsFileAndLine() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="harness" tests="1" failures="0" errors="0" time="1.000">
              <testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="1.000">
                <testcase classname="a" name="a" time="1.000"><system-out>[    0.1] hello
            """
        #expect(throws: JUnitReadError.self) { try JUnitReader.parse(Data(text.utf8), file: "cut.xml") }
        do {
            _ = try JUnitReader.parse(Data(text.utf8), file: "cut.xml")
        } catch let error as JUnitReadError {
            #expect(error.file == "cut.xml" && error.line >= 4, "\(error)")
        }
        #expect(throws: JUnitReadError(file: "empty.xml", line: 1, reason: "the report is empty")) {
            try JUnitReader.parse(Data(), file: "empty.xml")
        }
        do {
            _ = try JUnitReader.parse(
                Data(
                    "<testsuites>\n<testsuite name=\"x\" tests=\"0\" failures=\"0\" errors=\"0\"><bogus/></testsuite></testsuites>"
                        .utf8), file: "odd.xml")
            Issue.record("an unknown element was accepted")
        } catch let error as JUnitReadError {
            #expect(error.description == "odd.xml:2: unexpected <bogus> in <testsuite>")
        }
    }
}
