// The progress line of a long --repeat or --until-failure hunt: runs done of the total, failures
// so far, time left at the pace so far; in a log, after the last run and every so often.
import Foundation
import HostSystem
import QEMUMachine
import Runner
import Testing

@testable import Scenario

@Suite struct HuntProgressTests {
    private func at(_ seconds: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: UInt64(seconds * 1e9)) }

    @Test func runsDoneFailuresAndTimeLeftAtThePaceSoFar() {
        var hunt = HuntProgress(total: 200, untilFailure: false)
        #expect(hunt.line(at: at(0)) == "harness: progress 0/200 runs, 0 failed")
        hunt.runStarted(at: at(10))
        hunt.runStarted(at: at(11))
        for status in [Verdict.Status.passed, .failed, .passed, .error] + Array(repeating: .passed, count: 46) {
            hunt.runFinished(status)
        }
        // 50 runs in 100 s: 150 more take 300 s.
        #expect(hunt.line(at: at(110)) == "harness: progress 50/200 runs, 2 failed, about 5m 00s left")
        for _ in 0..<150 { hunt.runFinished(.passed) }
        #expect(hunt.line(at: at(410)) == "harness: progress 200/200 runs, 2 failed")
    }

    @Test func untilAFailureTheTotalIsABoundOrUnknown() {
        var bounded = HuntProgress(total: 1000, untilFailure: true)
        bounded.runStarted(at: at(0))
        for _ in 0..<10 { bounded.runFinished(.passed) }
        #expect(bounded.line(at: at(36)) == "harness: progress 10/at most 1000 runs, 0 failed, at most 59m 24s left")
        #expect(bounded.line(at: at(3636)) == "harness: progress 10/at most 1000 runs, 0 failed, at most 99h 59m left")
        var open = HuntProgress(total: nil, untilFailure: true)
        open.runStarted(at: at(0))
        open.runFinished(.passed)
        #expect(open.line(at: at(5)) == "harness: progress 1 runs (until a failure), 0 failed")
    }

    @Test func aLogGetsTheLineAfterTheLastRun() throws {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        let scenario = try ScenarioParser.parse(
            "expect: running\n", file: "scenarios/boot.yaml",
            profiles: ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil))
        let pipe = Pipe()
        let display = ProgressDisplay(
            output: pipe.fileHandleForWriting, verbose: false, interactive: false,
            hunt: HuntProgress(total: 2, untilFailure: false))
        for attempt in 1...2 {
            display.runStarted(slot: 0, request: RunRequest(scenario: scenario, seed: 7, attempt: attempt))
            display.runFinished(
                slot: 0,
                result: RunResult(
                    scenario: scenario, seed: 7, attempt: attempt, verdict: Verdict(.passed, .expected, "ok"), duration: 1,
                    rerunCommand: "x"))
        }
        try pipe.fileHandleForWriting.close()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        // The first run ends well within the interval: no line then; the last one gets its line.
        #expect(lines.filter { $0.hasPrefix("harness: progress") } == ["harness: progress 2/2 runs, 0 failed"])
        #expect(lines.last == "harness: progress 2/2 runs, 0 failed")
    }
}
