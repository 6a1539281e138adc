// Deterministic mode against the real kernel: one seed prints the same console twice, and a
// failure is rerun and reported reproduced.
import Foundation
import QEMUMachine
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct DeterministicEndToEndTests {
    /// A 100-process exit storm on 4 vCPUs that ends by itself (`then=exit`), so the whole
    /// console is the guest's doing.
    static let storm = """
        machine:
          vcpus: 4
          mode: deterministic
          cmdline: "storm=exit count=100 seed={seed} then=exit"
          schedule-cmdline: "tick_jitter={schedule} tick_yield=1"
        watchdogs: {deadline: 120s, silence: 60s}
        steps:
          - wait-serial: {pattern: "storm: done kind=exit", within: 100s}
        expect: {exit: 33}
        """

    private func property(_ name: String, _ result: RunResult) -> String? {
        result.properties.first { $0.name == name }?.value
    }

    @Test func oneSeedPrintsTheSameConsoleTwice() throws {
        let first = try KernelScenario.run(Self.storm, seed: 11)
        let second = try KernelScenario.run(Self.storm, seed: 11)
        #expect(first.verdict.status == .passed, "\(first.verdict.message)")
        #expect(second.verdict.status == .passed, "\(second.verdict.message)")
        let hash = try #require(property("serial.sha256", first))
        #expect(hash.count == 64)
        #expect(property("serial.sha256", second) == hash)
        #expect(first.serialBytes > 1000 && first.serialBytes == second.serialBytes)
        #expect(property("mode", first) == "deterministic")
        // Its one vCPU thread ("ALL CPUs/TCG") was sampled: the run says whether the host starved it.
        #expect(property("host.starved", first) != nil)
        #expect(property("deterministic", first) == "yes")
        #expect(property("icount.shift", first) == String(DeterministicSchedule(seed: 11).shift))
        #expect(property("cmdline", first)?.hasSuffix("tick_jitter=\(DeterministicSchedule(seed: 11).salt) tick_yield=1") == true)
        // Another seed is another schedule, so another interleaving and another console.
        let other = try KernelScenario.run(Self.storm, seed: 12)
        #expect(other.verdict.status == .passed)
        #expect(property("serial.sha256", other) != hash)
    }

    @Test func aFailureIsRerunAndReportedReproducedIdentical() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The kernel panics on purpose; the scenario expects a clean exit, so the run fails.
        let file = folder.appendingPathComponent("panics.yaml")
        try "machine: {mode: deterministic, cmdline: debug=panic}\nexpect: {exit: 33}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let scenario = try KernelScenario.parse(file: file.path)
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        let plan = SuiteRunner.Plan(scenarios: [scenario], seed: 3, repeatCount: 1, untilFailure: false, repeatLimit: nil)
        let results = SuiteRunner(plan: plan, jobs: 1, options: options, observer: RecordingObserver()).run()
        let result = try #require(results.first)
        #expect(result.verdict.kind == .panic)
        let line = try #require(result.verdict.details.first { $0.hasPrefix("reproduced: ") })
        #expect(line == "reproduced: identical (\(result.serialBytes) bytes, same verdict)")
        let artifacts = try #require(result.artifacts)
        let verdictText = try String(contentsOfFile: artifacts + "/verdict.txt", encoding: .utf8)
        #expect(verdictText.contains(line))
        #expect(FileManager.default.fileExists(atPath: artifacts + "/reproduction"))

        options.reproduceFailures = false
        let unproven = SuiteRunner(plan: plan, jobs: 1, options: options, observer: RecordingObserver()).run()
        #expect(unproven.first?.verdict.details.contains { $0.hasPrefix("reproduced: ") } == false)
    }

    /// The shell on 2 vCPUs, shut down from the console.
    static let shell = """
        machine: {vcpus: 2, mode: deterministic, cmdline: "seed={seed}", schedule-cmdline: "tick_jitter={schedule} tick_yield=1"}
        steps:
          - wait-serial: {pattern: "shell: ready", within: 30s}
          - send-serial: shutdown
        expect: {exit: 33}
        """

    @Test func inputSaysWhereItMetTheGuest() throws {
        let result = try KernelScenario.run(Self.shell, seed: 5)
        #expect(result.verdict.status == .passed, "\(result.verdict.message)")
        #expect(property("deterministic", result) == "until step 2 (line 4): send-serial delivers input at a host-chosen moment")
        let input = try #require(property("input.instructions", result))
        #expect(input.hasPrefix("step 2 at ") && (Int64(input.dropFirst("step 2 at ".count)) ?? 0) > 0, "\(input)")
        // The console up to "shell: ready", which the guest printed before any input: one seed, one hash.
        let before = try #require(property("serial.sha256.before-input", result))
        #expect(before.hasSuffix("lines, to the line step 1 waited for)"), "\(before)")
        let again = try KernelScenario.run(Self.shell, seed: 5)
        #expect(property("serial.sha256.before-input", again) == before)
    }

    @Test func aStepLimitIsMeasuredInGuestTime() throws {
        // A long storm keeps the guest busy; the line never comes, so the step's 1 s runs out,
        // in guest time: the verdict says how many instructions that took.
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, mode: deterministic, cmdline: "storm=exit count=100000 seed={seed} then=exit"}
            watchdogs: {deadline: 120s, silence: 60s}
            steps:
              - wait-serial: {pattern: "storm: start kind=exit", within: 60s}
              - wait-serial: {pattern: "never printed", within: 1s}
            expect: {exit: 33}
            """, seed: 5)
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.watchdog == .stepDeadline)
        let measured = try #require(result.verdict.details.first { $0.hasPrefix("measured in guest time: step deadline: ") })
        #expect(measured.contains(" s of guest time ("), "\(measured)")
    }

    @Test func twoRunsThatPartAreNamedAtTheirFirstDifferentLine() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a.log").path
        let b = folder.appendingPathComponent("b.log").path
        try "[    0.100] kernel: booting\n[    0.200] smp: 4 CPUs online bringup_ms=30\n".write(
            toFile: a, atomically: true, encoding: .utf8)
        try "[    0.300] kernel: booting\n[    0.900] smp: 4 CPUs online bringup_ms=27\n".write(
            toFile: b, atomically: true, encoding: .utf8)
        #expect(Reproduction.lines(ofLog: a)?.first == "kernel: booting")
        let confinement = PathConfinement.forFile(
            folder.appendingPathComponent("x.yaml").path, allowing: [KernelScenario.kernelDirectory])
        let scenario = try ScenarioParser.parse(
            "expect: running\n", file: folder.appendingPathComponent("x.yaml").path,
            profiles: try ProfileLibrary.load(
                folder.appendingPathComponent("profiles.yaml").path,
                confinement: confinement),
            confinement: confinement)
        var first = RunResult(
            scenario: scenario, seed: 1, attempt: 1, verdict: Verdict(.error, .panic, "p"), duration: 1, rerunCommand: "")
        first.properties = [("serial.sha256", "aa")]
        var second = first
        second.properties = [("serial.sha256", "bb")]
        #expect(
            Reproduction.compare(first, second, firstLog: a, secondLog: b)
                == "reproduced: NOT identical: serial line 2 differs: first run 'smp: 4 CPUs online bringup_ms=30', rerun 'smp: 4 CPUs online bringup_ms=27' (same verdict)"
        )
        // A hang the harness ended: the rerun's console stops earlier, on the same lines.
        try "[    0.100] kernel: booting\n[    0.200] debug: hanging\n[    9.000] watchdog: CPU 1 stuck\n".write(
            toFile: a, atomically: true, encoding: .utf8)
        try "[    0.100] kernel: booting\n[    0.200] debug: hanging\n".write(toFile: b, atomically: true, encoding: .utf8)
        first.verdict = Verdict(.error, .hang, "hang", watchdog: .serialSilence)
        second.verdict = first.verdict
        #expect(
            Reproduction.compare(first, second, firstLog: a, secondLog: b)
                == "reproduced: identical up to where the harness ended the runs (2 lines alike, then 1 and 0 more; same verdict)"
        )
    }
}
