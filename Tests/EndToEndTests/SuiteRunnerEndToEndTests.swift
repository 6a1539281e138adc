// Repetition and --until-failure over real runs.
import Foundation
import QEMUMachine
import Runner
import Scenario
import Testing

/// Collects what the runner reports, as the progress display would.
final class RecordingObserver: RunObserver {
    private let lock = NSLock()
    private(set) var started: [String] = []
    private(set) var finished: [String] = []
    /// "+name" at each start and "-name" at each finish, in the order they happened.
    private(set) var events: [String] = []

    func runStarted(slot: Int, request: RunRequest) {
        lock.lock()
        started.append("\(request.scenario.name)#\(request.attempt)")
        events.append("+\(request.scenario.name)")
        lock.unlock()
    }

    func runPrinted(slot: Int, request: RunRequest, line: SerialLine) {}

    func runFinished(slot: Int, result: RunResult) {
        lock.lock()
        finished.append(result.displayName)
        events.append("-\(result.scenario.name)")
        lock.unlock()
    }
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct SuiteRunnerEndToEndTests {
    private func scenario(_ name: String, _ yaml: String, in folder: URL) throws -> Scenario {
        let file = folder.appendingPathComponent("\(name).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return try KernelScenario.parse(file: file.path)
    }

    private func options(_ folder: URL) -> RunOptions {
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        return options
    }

    @Test func repeatRunsEveryScenarioEachRoundWithItsOwnSeed() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fault = try scenario("fault", "machine: {cmdline: debug=triplefault}\nexpect: triple-fault\n", in: folder)
        let observer = RecordingObserver()
        let plan = SuiteRunner.Plan(scenarios: [fault], seed: nil, repeatCount: 3, untilFailure: false, repeatLimit: nil)
        let results = SuiteRunner(plan: plan, jobs: 2, options: options(folder), observer: observer).run()
        #expect(results.map(\.attempt) == [1, 2, 3])
        #expect(results.allSatisfy { $0.verdict.status == .passed })
        #expect(Set(results.map(\.seed)).count == 3)
        #expect(observer.finished.sorted() == ["fault", "fault #2", "fault #3"])
        #expect(Summary.closingLine(Summary.counts(results)) == "harness: 3 passed, 0 failed")
    }

    @Test func anExclusiveScenarioRunsWithNoOtherVMBesideIt() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let quick = "machine: {vcpus: 1, cmdline: debug=triplefault}\nexpect: triple-fault\n"
        let plain = try (1...4).map { try scenario("plain\($0)", quick, in: folder) }
        let alone = try scenario("alone", "tags: [exclusive]\n" + quick, in: folder)
        let observer = RecordingObserver()
        let plan = SuiteRunner.Plan(
            scenarios: [plain[0], plain[1], alone, plain[2], plain[3]], seed: nil,
            repeatCount: 1, untilFailure: false, repeatLimit: nil)
        let results = SuiteRunner(plan: plan, jobs: 3, options: options(folder), observer: observer).run()
        #expect(results.count == 5 && results.allSatisfy { $0.verdict.status == .passed })
        let start = try #require(observer.events.firstIndex(of: "+alone"))
        // Nothing else in flight when it starts, and nothing starts or ends until it ends.
        let before = observer.events[..<start]
        #expect(before.filter { $0.hasPrefix("+") }.count == before.filter { $0.hasPrefix("-") }.count, "\(observer.events)")
        #expect(observer.events[start + 1] == "-alone", "\(observer.events)")
        // The others still ran side by side.
        #expect(observer.events.contains { $0.hasPrefix("+plain") } && results.count == 5)
    }

    @Test func untilFailureStopsHandingOutRunsAfterTheFirstFailure() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = try scenario("broken", "machine: {cmdline: debug=triplefault}\nexpect: {exit: 33}\n", in: folder)
        let plan = SuiteRunner.Plan(scenarios: [broken], seed: 77, repeatCount: 1, untilFailure: true, repeatLimit: 50)
        let results = SuiteRunner(plan: plan, jobs: 1, options: options(folder), observer: RecordingObserver()).run()
        #expect(results.count == 1)
        #expect(results.first?.verdict.kind == .tripleFault)
        #expect(results.first?.rerunCommand.hasSuffix("broken.yaml --seed 77") == true)
        #expect(Summary.closingLine(Summary.counts(results)) == "harness: 0 passed, 1 failed")
    }
}

@Suite(.timeLimit(.minutes(2))) struct ArtifactsEndToEndTests {
    @Test func rerunWithTheSameSeedKeepsTheEarlierFailuresArtifacts() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("fault.yaml")
        try "machine: {cmdline: debug=triplefault}\nexpect: {exit: 33}\n".write(to: file, atomically: true, encoding: .utf8)
        let scenario = try KernelScenario.parse(file: file.path)
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        let first = ScenarioRun(RunRequest(scenario: scenario, seed: 9, attempt: 1), options: options).execute()
        let second = ScenarioRun(RunRequest(scenario: scenario, seed: 9, attempt: 1), options: options).execute()
        #expect(first.artifacts != nil && second.artifacts != nil && first.artifacts != second.artifacts)
        for path in [first.artifacts, second.artifacts].compactMap({ $0 }) {
            let files = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            #expect(files == ["qemu.txt", "qmp.log", "serial.log", "verdict.txt"])
        }
        let verdict = try String(contentsOfFile: first.artifacts! + "/verdict.txt", encoding: .utf8)
        #expect(verdict.contains("watchdog: triple fault"))
        #expect(verdict.contains("rerun: swift run harness \(file.path) --seed 9"))
        // Enough to file a bug: the exact kernel, QEMU and machine of the run.
        let hash = try #require(first.properties.first { $0.name == "kernel.sha256" }?.value)
        #expect(hash.count == 64 && verdict.contains("  kernel.sha256: \(hash)"))
        #expect(verdict.contains("  qemu.version: ") && verdict.contains("  vcpus: 2") && verdict.contains("  seed: 9"))
    }

    /// `--jobs 2` over eight short runs: sampled at every line the harness prints, the live QEMU
    /// children never exceed two, and two do run at once.
    @Test func jobsBoundsTheVMsRunningAtOnce() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for index in 1...8 {
            try """
            machine: {cmdline: "debug=silent seed={seed}"}
            steps:
              - wait-serial: "kernel: ready"
              - pause: 300ms
            expect: running
            """.write(to: folder.appendingPathComponent("short-\(index).yaml"), atomically: true, encoding: .utf8)
        }
        let harness = try HarnessProcess([
            folder.path, "--jobs", "2", "--verbose",
            "--junit", folder.appendingPathComponent("junit.xml").path,
            "--artifacts", folder.appendingPathComponent("artifacts").path,
        ])
        var most = 0
        var samples = 0
        harness.readToEnd {
            most = max(most, harness.qemuChildren.count)
            samples += 1
        }
        #expect(harness.finish() == 0, "\(harness.output)")
        #expect(most <= 2, "at most two QEMUs at once (\(samples) samples)")
        // That two ran together is read from the harness's own order of events, not from a
        // sample that a loaded host could take between them: a second start before a finish.
        var running = 0
        var together = 0
        for line in harness.output.split(separator: "\n") {
            if line.hasPrefix("harness: start ") { running += 1 }
            if line.hasPrefix("harness: PASS ") || line.hasPrefix("harness: FAIL ") || line.hasPrefix("harness: ERROR ") {
                running -= 1
            }
            together = max(together, running)
        }
        #expect(together == 2, "\(harness.output)")
        #expect(harness.output.components(separatedBy: "harness: PASS").count - 1 == 8)
        #expect(harness.qemuChildren.isEmpty && harness.leftoverDirectories.isEmpty)
    }
}
