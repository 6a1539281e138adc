import Foundation
import HostSystem
import KTAP
import QEMUMachine
import Runner
import SchemaCheck
import Testing

@testable import JUnitReport
@testable import Scenario

@Suite struct JUnitReportTests {
    private func scenario(_ name: String, _ yaml: String = "expect: running\n") throws -> Scenario {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        return try ScenarioParser.parse(
            yaml, file: "scenarios/group/\(name).yaml",
            profiles: ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil))
    }

    private func ktapDocument(_ text: String) -> KTAPDocument {
        var parser = KTAPParser()
        for line in text.split(separator: "\n") { parser.feed(line) }
        parser.finish()
        return parser.document
    }

    private func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "junit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/junit.xml"
        ).path
    }

    /// A report holding every kind of verdict, KTAP cases of every status, and text XML cannot
    /// carry as is.
    private func mixedReport() throws -> JUnitReport {
        var ktap = RunResult(
            scenario: try scenario("ktest", "machine: {cmdline: ktest=*}\nexpect: ktap\n"), seed: 7, attempt: 1,
            verdict: Verdict(.failed, .ktapFailures, "KTAP: failed: heap.b"), duration: 2.5,
            rerunCommand: "swift run harness scenarios/group/ktest.yaml --seed 7")
        ktap.ktap = ktapDocument(
            """
            KTAP version 1
            1..1
                KTAP version 1
                # Subtest: heap
                1..4
                ok 1 a
                not ok 2 b
                # expected 3, got <4> & "5" \u{1}\u{7}
                ok 3 c # SKIP no <SMP>
                ok 4 d # TODO ]]> later
            not ok 1 heap
            """)
        ktap.properties = [("qemu.version", "7.2.22"), ("seed", "7"), ("cmdline", "a=\"b\" <c>")]
        ktap.serialHead = [SerialLine(text: "kernel: ready \u{1B}[31mred\u{1B}[0m \u{FFFE}", time: 0.1)]

        let hang = RunResult(
            scenario: try scenario("hang"), seed: 8, attempt: 2,
            verdict: Verdict(
                .error, .hang, "hang: no serial output for 5s", watchdog: .serialSilence,
                details: ["QEMU run state: running"]),
            duration: 5.2, rerunCommand: "swift run harness scenarios/group/hang.yaml --seed 8")
        let skipped = RunResult(
            scenario: try scenario("cut"), seed: 9, attempt: 1,
            verdict: Verdict(.skipped, .interrupted, "interrupted by signal 2"), duration: 0.3,
            rerunCommand: "x")
        let passed = RunResult(
            scenario: try scenario("fine"), seed: 10, attempt: 1,
            verdict: Verdict(.passed, .expected, "ok"), duration: 1, rerunCommand: "x")
        return JUnitReport(results: [ktap, hang, skipped, passed])
    }

    @Test func reportValidatesAgainstTheJenkinsSchema() throws {
        let path = temporaryFile()
        try mixedReport().write(to: path)
        #expect(try SchemaValidator.problems(in: path) == nil)
    }

    @Test func theValidatorRejectsWhatTheSchemaForbids() throws {
        let path = temporaryFile()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "<testsuites><testsuite name=\"x\"><testcase/></testsuite></testsuites>".write(
            toFile: path, atomically: true, encoding: .utf8)
        let problems = try SchemaValidator.problems(in: path)
        #expect(problems?.contains("tests") == true, "a testsuite without tests= and a testcase without name= are invalid")
    }

    @Test func theSchemaIsTheRepositorysOwnAndStricterThanJenkinsWhereWeAreExact() throws {
        #expect(SchemaValidator.schemaPath.hasSuffix("Tests/SchemaCheck/junit.xsd"))
        let path = temporaryFile()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let suite = #"<testsuites><testsuite name="x" tests="1" failures="1" errors="1">"#
        try (suite + #"<testcase name="a" classname="c" time="1"><failure/><error/></testcase></testsuite></testsuites>"#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SchemaValidator.problems(in: path) != nil, "one outcome per case")
        try (suite + #"<testcase name="a" classname="c" time="-1"/></testsuite></testsuites>"#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SchemaValidator.problems(in: path) != nil, "no negative time")
    }

    @Test func aPassingHangKeepsItsDiagnosisInSystemOut() throws {
        let path = temporaryFile()
        var result = RunResult(
            scenario: try scenario("hang-ok", "watchdogs: {silence: 2s}\nexpect: hang\n"), seed: 3, attempt: 1,
            verdict: Verdict(
                .passed, .expected, "hang diagnosed by serial silence", watchdog: .serialSilence,
                details: ["diagnosis: CPU2 running, IF=0, in haltWithInterruptsOff+0x7"]),
            duration: 2, rerunCommand: "x")
        result.serialHead = [SerialLine(text: "debug: hanging", time: 0.5)]
        try JUnitReport(results: [result]).write(to: path)
        #expect(try SchemaValidator.problems(in: path) == nil)
        let output = try SchemaValidator.xpath("string(//testcase[@name='hang-ok']/system-out)", in: path)
        #expect(output.hasPrefix("hang diagnosed by serial silence\ndiagnosis: CPU2 running, IF=0"), "\(output)")
        #expect(output.contains("debug: hanging"))
    }

    @Test func countsAndElementsMapVerdictsAndKTAPCases() throws {
        let path = temporaryFile()
        try mixedReport().write(to: path)
        // 4 run cases + 4 KTAP cases (a, b, c, d); the suite failed but b failed with it.
        #expect(try SchemaValidator.xpath("count(//testcase)", in: path) == "8")
        #expect(try SchemaValidator.xpath("string(/testsuites/@failures)", in: path) == "2")
        #expect(try SchemaValidator.xpath("string(/testsuites/@errors)", in: path) == "1")
        #expect(try SchemaValidator.xpath("count(//testcase/skipped)", in: path) == "3")
        #expect(try SchemaValidator.xpath("string(//testcase[@name='b']/failure/@message)", in: path) == "not ok 2 b")
        #expect(try SchemaValidator.xpath("string(//testcase[@name='b']/@classname)", in: path) == "ktest.heap")
        #expect(
            try SchemaValidator.xpath("string(//testcase[@name='hang #2']/error/@type)", in: path)
                == "hang (serial silence watchdog)")
        #expect(
            try SchemaValidator.xpath("string(//testsuite[@name='ktest']/properties/property[@name='cmdline']/@value)", in: path)
                == "a=\"b\" <c>")
        let output = try SchemaValidator.xpath("string(//testsuite[@name='ktest']/testcase[1]/system-out)", in: path)
        #expect(output.contains("\\x1B[31mred"), "control characters are written visibly: \(output)")
        #expect(output.contains("\\xFFFE"))
    }

    @Test func longSerialLogIsCutToHeadAndTailWithAMarker() throws {
        var result = RunResult(
            scenario: try scenario("flood"), seed: 1, attempt: 1,
            verdict: Verdict(.passed, .expected, "ok"), duration: 1, rerunCommand: "x")
        result.serialHead = (0..<200).map { SerialLine(text: "head \($0)", time: 0) }
        result.serialTail = (0..<200).map { SerialLine(text: "tail \($0)", time: 1) }
        result.omittedSerialLines = 99_600
        let excerpt = JUnitReport(results: [result]).serialExcerpt(result)
        let lines = excerpt.split(separator: "\n")
        #expect(lines.count == JUnitReport.logHeadLines + 1 + JUnitReport.logTailLines)
        #expect(lines.first?.hasSuffix("head 0") == true)
        #expect(lines.last?.hasSuffix("tail 199") == true)
        #expect(lines[JUnitReport.logHeadLines].contains("[... 99700 lines omitted"))
    }

    @Test func writingReplacesTheFileAtomically() throws {
        let path = temporaryFile()
        try JUnitReport(results: []).write(to: path)
        try mixedReport().write(to: path)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["junit.xml"], "no temporary file is left")
        #expect(try SchemaValidator.problems(in: path) == nil)
        #expect(try SchemaValidator.xpath("count(//testsuite)", in: path) == "4")
    }

    /// `--junit build/shard-1/junit.xml` in a folder that does not exist yet: every run reaches
    /// the report (the runs' spill file once failed there and the final report was empty).
    @Test func anIncrementalReportMakesItsFolderAndKeepsEveryRun() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
        let report = IncrementalReport(path: path, forwardingTo: ProgressDisplay(verbose: false, interactive: false))
        for seed in [UInt64(1), 2] {
            report.runFinished(
                slot: 0,
                result: RunResult(
                    scenario: try scenario("boot"), seed: seed, attempt: 1, verdict: Verdict(.passed, .expected, "ok"),
                    duration: 1, rerunCommand: "x"))
        }
        #expect(report.writeFailure == nil)
        try report.finish()
        let document = try JUnitReader.read(path)
        #expect(document.suites.map(\.name) == ["boot", "boot"])
    }

    @Test func escapingCoversMarkupAndForbiddenCharacters() {
        #expect(XMLText.escaped("a<b>&c\"d'\n\u{0}", attribute: true) == "a&lt;b&gt;&amp;c&quot;d'&#10;\\x00")
        #expect(XMLText.escaped("line\r\n\ttab") == "line&#13;\n\ttab")
        #expect(XMLText.escaped("\u{10FFFF}\u{E000}") == "\u{10FFFF}\u{E000}")
    }
}
