// A plan run whole and as 3 shards by the real harness binary, booting the real kernel: the
// shards' reports hold together exactly the unsharded report's runs (names, seeds, counts), each
// run once. The three shards take their shard from the three sources: `--shard`, Bazel's
// variables (touching its status file) and a Kubernetes Indexed Job's index with --shard-count.
// `harness merge` then joins the three reports into one whose runs and cases are the unsharded
// report's, and fails naming a shard's report that is missing.
import Foundation
import JUnitReport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite(.serialized, .timeLimit(.minutes(4))) struct ShardEndToEndTests {
    /// One run of a report: its testsuite's name and properties.
    struct ReportedRun: Hashable {
        let name: String
        let seed: String
        let shard: String?
    }

    final class Runs: NSObject, XMLParserDelegate {
        var runs: [ReportedRun] = []
        private var name: String?
        private var properties: [String: String] = [:]

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if element == "testsuite" {
                name = attributes["name"]
                properties = [:]
            } else if element == "property", let key = attributes["name"] {
                properties[key] = attributes["value"]
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            guard element == "testsuite", let name else { return }
            runs.append(ReportedRun(name: name, seed: properties["seed"] ?? "", shard: properties["shard"]))
        }
    }

    private func runs(in path: String) throws -> [ReportedRun] {
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let runs = Runs()
        parser.delegate = runs
        #expect(parser.parse(), "\(path) does not parse")
        return runs.runs
    }

    @Test func threeShardsRunTogetherExactlyTheUnshardedPlan() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let quick = "machine: {vcpus: 1, cmdline: debug=triplefault}\nexpect: triple-fault\n"
        for name in ["one", "two", "three"] {
            try quick.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        try ("tags: [exclusive]\n" + quick).write(
            to: folder.appendingPathComponent("alone.yaml"), atomically: true, encoding: .utf8)
        let common = [
            folder.path, "--repeat", "2", "--seed-base", "11", "--jobs", "2",
            "--artifacts", folder.appendingPathComponent("artifacts").path,
        ]
        func report(_ name: String) -> String { folder.appendingPathComponent("\(name).xml").path }

        let whole = try HarnessProcess(common + ["--junit", report("whole")])
        #expect(whole.finish() == 0, "\(whole.output)")
        let statusFile = folder.appendingPathComponent("bazel-status").path
        let shards = [
            try HarnessProcess(common + ["--junit", report("shard-1"), "--shard", "1/3"]),
            try HarnessProcess(
                common + ["--junit", report("shard-2")],
                environment: ["TEST_TOTAL_SHARDS": "3", "TEST_SHARD_INDEX": "1", "TEST_SHARD_STATUS_FILE": statusFile]),
            try HarnessProcess(
                common + ["--junit", report("shard-3"), "--shard-count", "3"], environment: ["JOB_COMPLETION_INDEX": "2"]),
        ]
        var parts: [[ReportedRun]] = []
        for (index, shard) in shards.enumerated() {
            #expect(shard.finish() == 0, "\(shard.output)")
            let runs = try runs(in: report("shard-\(index + 1)"))
            #expect(shard.output.contains("harness: shard \(index + 1)/3 (from "), "\(shard.output)")
            #expect(shard.output.contains(": \(runs.count) of 8 runs, seeds from --seed-base 11"), "\(shard.output)")
            #expect(runs.allSatisfy { $0.shard == "\(index + 1)/3" })
            parts.append(runs)
        }
        #expect(FileManager.default.fileExists(atPath: statusFile), "Bazel's status file was not touched")

        let unsharded = try runs(in: report("whole"))
        #expect(unsharded.count == 8 && unsharded.allSatisfy { $0.shard == nil })
        #expect(Set(unsharded.map(\.name)).count == 8)
        let key = { (run: ReportedRun) in "\(run.name) seed \(run.seed)" }
        let union = parts.joined().map(key)
        #expect(union.count == 8, "every run once: \(union.sorted())")
        #expect(union.sorted() == unsharded.map(key).sorted())
        #expect(parts.allSatisfy { (2...3).contains($0.count) }, "by count: \(parts.map(\.count))")
        // The two runs of the exclusive scenario went to different shards.
        #expect(parts.filter { $0.contains { $0.name.hasPrefix("alone") } }.count == 2)

        // Merged, the shards are the unsharded run: the same runs with the same seeds, cases and
        // outcomes, and the same counts.
        let shardReports = (1...3).map { report("shard-\($0)") }
        let merge = try HarnessProcess.run(["merge", "-o", report("merged")] + shardReports)
        #expect(merge.status == 0, "\(merge.errors)")
        #expect(merge.errors.contains("harness: 8 passed, 0 failed"), "\(merge.errors)")
        func cases(_ document: JUnitDocument) -> [String] {
            document.suites.flatMap { suite in
                suite.cases.map { "\(suite.scenario) seed \(suite.seed ?? 0): \($0.name) \($0.outcome.status)" }
            }.sorted()
        }
        let merged = try JUnitReader.read(report("merged"))
        let reference = try JUnitReader.read(report("whole"))
        #expect(merged.suites.count == 8)
        #expect(cases(merged) == cases(reference), "the merged shards are not the unsharded run")
        #expect(cases(merged).count == cases(reference).count && !cases(merged).isEmpty)

        // A shard's report that never arrived: the merge fails and names it.
        let missing = folder.appendingPathComponent("shard-2-never-uploaded.xml").path
        let partial = try HarnessProcess.run(
            ["merge", "-o", report("partial"), shardReports[0], missing, shardReports[2]])
        #expect(partial.status == 1, "\(partial.errors)")
        #expect(partial.errors.contains("harness: merge: ERROR: \(missing):"), "\(partial.errors)")
        let partialDocument = try JUnitReader.read(report("partial"))
        #expect(partialDocument.suites.filter(\.standsForUnreadableReport).map { $0.runCase?.name } == [missing])
    }
}
