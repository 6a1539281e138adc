// Runs bench scenarios through the harness's own Runner, one VM at a time (or a suite on
// several, for the harness's own figures), and hands back what they captured.
import Foundation
import HostSystem
import QEMUMachine
import Runner
import Scenario

public final class VMBench {
    /// Where the bench scenarios live (scenarios/bench).
    public let folder: String
    public let repetitions: Int
    public let artifacts: String
    /// Failed runs, for the report's notes.
    public private(set) var failures: [String] = []

    public init(folder: String, repetitions: Int, artifacts: String) {
        self.folder = folder
        self.repetitions = repetitions
        self.artifacts = artifacts
    }

    /// The scenario `NAME.yaml` of the bench folder; a bad file stops the bench at once.
    public func scenario(_ name: String) throws -> Scenario {
        try ScenarioParser.parse(file: "\(folder)/\(name).yaml")
    }

    /// `deterministic`: every run in deterministic mode (`--deterministic`).
    public func options(deterministic: Bool = false) -> RunOptions {
        var options = RunOptions()
        options.deterministic = deterministic
        options.artifactsDirectory = artifacts
        // From this run's start, not the bench's: "start to first serial line" per run.
        options.harnessStartedAt = .now
        return options
    }

    /// Runs `scenario` `count` times (default: the repetitions), one after the other, printing
    /// one line per run: each with a fresh seed, or every one with `seed` in deterministic mode.
    public func run(
        _ scenario: Scenario, count: Int? = nil, label: String? = nil,
        deterministicSeed seed: UInt64? = nil
    ) -> [RunResult] {
        let total = count ?? repetitions
        var results: [RunResult] = []
        for attempt in 1...total where !InterruptSignal.wasReceived {
            let request = RunRequest(scenario: scenario, seed: seed ?? UInt64.random(in: 1..<(1 << 53)), attempt: attempt)
            let result = ScenarioRun(request, options: options(deterministic: seed != nil)).execute()
            let name = label ?? "\(scenario.name) on \(scenario.machine.vcpus) vCPU\(scenario.machine.vcpus == 1 ? "" : "s")"
            log(
                "\(name), run \(attempt)/\(total): \(result.verdict.status.rawValue.uppercased()) \(result.duration.fixed1)s"
                    + (result.verdict.isSuccess ? "" : ": \(result.verdict.message)"))
            results.append(result)
        }
        return results
    }

    /// `scenario` at `vcpus`, the repetitions, as measured runs (all with one seed in
    /// deterministic mode when `deterministicSeed` is set).
    public func measure(_ name: String, vcpus: Int, deterministicSeed seed: UInt64? = nil) throws -> MeasuredRuns {
        let measured = MeasuredRuns(run(try scenario(name).variant(vcpus: vcpus), deterministicSeed: seed), vcpus: vcpus)
        failures += measured.failures
        return measured
    }

    /// Runs `scenarios` on `jobs` VMs at once, like `harness --jobs` (with `deterministicSeed`,
    /// like `harness --deterministic --seed N`); returns the results and the wall time.
    public func suite(_ scenarios: [Scenario], jobs: Int, deterministicSeed seed: UInt64? = nil) -> (
        results: [RunResult], seconds: Double
    ) {
        let started = MonotonicInstant.now
        let plan = SuiteRunner.Plan(scenarios: scenarios, seed: seed, repeatCount: 1, untilFailure: false, repeatLimit: nil)
        let results = SuiteRunner(
            plan: plan, jobs: jobs, options: options(deterministic: seed != nil),
            observer: ProgressDisplay(verbose: false, interactive: false)
        ).run()
        return (results, MonotonicInstant.now.seconds(since: started))
    }
}

public func log(_ text: String) {
    FileHandle.standardError.write(("bench: " + text + "\n").data(using: .utf8)!)
}
