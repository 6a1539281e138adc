// A guest's last line must reach the report whole when the guest exits right after printing
// it: the guest waits for the UART to be empty (TEMT) before isa-debug-exit, and the harness
// reads the serial socket to its end before closing it (docs/harness.md, "No byte lost").
import Foundation
import QEMUMachine
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct LastLineEndToEndTests {
    /// Collects each run's last serial lines as the runs finish (SuiteRunner returns summaries).
    final class LastLines: RunObserver {
        private let lock = NSLock()
        private(set) var runs: [(seed: UInt64, bytes: Int, last: String?, verdict: Verdict)] = []
        func runStarted(slot: Int, request: RunRequest) {}
        func runPrinted(slot: Int, request: RunRequest, line: SerialLine) {}
        func runFinished(slot: Int, result: RunResult) {
            lock.withLock {
                runs.append((result.seed, result.serialBytes, (result.serialHead + result.serialTail).last?.text, result.verdict))
            }
        }
    }

    @Test func fiftyGuestsThatExitRightAfterTheirLastLineEachDeliverItWhole() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let records = 3
        let image = try FloodGuest.build(.goodbye, records: records, in: folder)
        let file = folder.appendingPathComponent("goodbye.yaml")
        try """
        machine: {kernel: \(image), memory: 16M, vcpus: 1}
        watchdogs: {silence: 20s, deadline: 60s}
        never: []
        steps:
          - wait-serial: "goodbye: the last line"
        expect: {exit: 33}
        """.write(to: file, atomically: true, encoding: .utf8)
        let scenario = try KernelScenario.parse(file: file.path)
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        options.diagnoser = nil
        let observer = LastLines()
        let plan = SuiteRunner.Plan(scenarios: [scenario], seed: nil, repeatCount: 50, untilFailure: false, repeatLimit: nil)
        // Two VMs at once: the guests are tiny, and a busier host makes a late byte likelier.
        let results = SuiteRunner(plan: plan, jobs: 2, options: options, observer: observer).run()
        #expect(results.count == 50)
        #expect(observer.runs.count == 50)
        let expectedBytes = records * FloodGuest.Mode.goodbye.recordBytes + FloodGuest.goodbyeLine.utf8.count + 1
        for run in observer.runs {
            #expect(run.verdict.isSuccess, "seed \(run.seed): \(run.verdict)")
            #expect(run.last == FloodGuest.goodbyeLine, "seed \(run.seed): the last line was \(run.last ?? "none")")
            #expect(run.bytes == expectedBytes, "seed \(run.seed): \(run.bytes) of \(expectedBytes) bytes")
        }
    }
}
