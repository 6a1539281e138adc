// Durations read back from a report the harness wrote: the mean time of each scenario's runs
// (repetitions `name #N` included), and refusals that name the file, the line and the reason.
import Foundation
import QEMUMachine
import Runner
import Testing

@testable import JUnitReport
@testable import Scenario

@Suite struct RecordedDurationsTests {
    private func scenario(_ name: String) throws -> Scenario {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        return try ScenarioParser.parse(
            "expect: running\n", file: "scenarios/\(name).yaml",
            profiles: ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil))
    }

    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "durations-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func theMeanTimeOfEachScenariosRunsInAReportTheHarnessWrote() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storm = try scenario("storm")
        let boot = try scenario("boot")
        let results = [(storm, 1, 10.0), (storm, 2, 20.0), (storm, 3, 36.0), (boot, 1, 2.5)].map { scenario, attempt, time in
            RunResult(
                scenario: scenario, seed: 1, attempt: attempt, verdict: Verdict(.passed, .expected, "ok"), duration: time,
                rerunCommand: "x")
        }
        let path = folder.appendingPathComponent("junit.xml").path
        try JUnitReport(results: results).write(to: path)
        let durations = try RecordedDurations.read(path)
        #expect(durations == ["storm": 22, "boot": 2.5])
    }

    @Test func aMissingOrBrokenReportIsRefusedWithWhereAndWhy() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("none.xml").path
        #expect(throws: JUnitReadError.self) { try RecordedDurations.read(missing) }
        do {
            _ = try RecordedDurations.read(missing)
        } catch {
            #expect("\(error)".hasPrefix("\(missing):0: cannot read the report: "), "\(error)")
        }
        let truncated = folder.appendingPathComponent("cut.xml")
        try "<testsuites>\n  <testsuite name=\"a\" time=\"1.0\">\n    <testcase".write(
            to: truncated, atomically: true, encoding: .utf8)
        do {
            _ = try RecordedDurations.read(truncated.path)
            Issue.record("a truncated report was read")
        } catch {
            #expect("\(error)".hasPrefix("\(truncated.path):3: "), "\(error)")
        }
        let badTime = folder.appendingPathComponent("time.xml")
        try "<testsuites>\n<testsuite name=\"a\" time=\"soon\"/>\n</testsuites>\n".write(
            to: badTime, atomically: true, encoding: .utf8)
        do {
            _ = try RecordedDurations.read(badTime.path)
            Issue.record("a report with a bad time was read")
        } catch {
            #expect("\(error)" == "\(badTime.path):2: testsuite 'a' has time 'soon', not seconds")
        }
    }
}
