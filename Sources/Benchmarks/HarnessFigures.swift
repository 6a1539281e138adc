// The harness's own figures: start to first serial line, hang to diagnosis, its CPU share
// while a guest idles, its peak memory with several VMs, scenarios per minute of the suite.
import BenchReport
import Foundation
import HostSystem
import Runner
import Scenario

public enum HarnessFigures {
    static let group = "harness"
    /// The target for a hang's diagnosis, in seconds.
    public static let diagnosisTarget = 1.0

    /// The harness's figures from the bench scenarios `hang`, `idle` and `parallel`.
    public static func measure(_ bench: VMBench, vms: Int, accelerator: String) throws -> Measured {
        var measured = Measured(figures: hang(bench.run(try bench.scenario("hang")), accelerator: accelerator))
        let idleRuns = min(bench.repetitions, 3)
        if let idle = idleCPUShare(bench, try bench.scenario("idle"), count: idleRuns, accelerator: accelerator) {
            measured.figures.append(idle)
        }
        if let sandbox = SandboxCost.figure(count: bench.repetitions * 4) { measured.figures.append(sandbox) }
        if let memory = peakMemory(bench, try bench.scenario("parallel"), vms: vms, accelerator: accelerator) {
            measured.figures.append(memory)
        } else {
            measured.notes.append("peak memory with \(vms) VMs: not measured (a run failed, or /proc/self/clear_refs refused)")
        }
        return measured
    }

    /// Scenarios per minute of the `make test` suite in `folder`, at --jobs 1 and 2, then at
    /// --jobs 2 under `--deterministic --seed 7`, and that mode's cost: its wall time over MTTCG's.
    public static func measureSuite(_ bench: VMBench, folder: String, accelerator: String) -> Measured {
        let catalog = ScenarioCatalog.load([folder], includeNightly: false, filter: nil)
        var measured = Measured()
        var seconds: [Int: Double] = [:]
        for jobs in [1, 2] {
            let (figure, failed, wall) = suiteRate(bench, catalog.scenarios, jobs: jobs, accelerator: accelerator)
            seconds[jobs] = wall
            measured.figures.append(figure)
            if failed > 0 {
                measured.notes.append("the suite at --jobs \(jobs): \(failed) scenario(s) failed (see the lines above)")
            }
        }
        let seed = DeterministicFigures.seed
        let (figure, failed, wall) = suiteRate(
            bench, catalog.scenarios, jobs: 2, accelerator: "tcg icount",
            deterministicSeed: seed)
        measured.figures.append(figure)
        if failed > 0 {
            measured.notes.append("the suite at --jobs 2 --deterministic: \(failed) scenario(s) failed (see the lines above)")
        }
        if let mttcg = seconds[2] {
            measured.figures.append(
                Figure(
                    group: group, name: "deterministic mode's cost: the suite's wall time, --deterministic over MTTCG",
                    unit: "×", better: .lower, accelerator: "tcg icount / tcg", samples: [wall / mttcg],
                    note: "--jobs 2, \(Int(wall)) s against \(Int(mttcg)) s"))
        }
        return measured
    }

    /// From `bench/hang` runs: first serial line, last output to complete report, watchdog to report.
    public static func hang(_ results: [RunResult], accelerator: String) -> [Figure] {
        let passed = results.filter { $0.verdict.isSuccess }
        guard let first = passed.first else { return [] }
        let vcpus = first.scenario.machine.vcpus
        let silence = first.scenario.watchdogs.silence ?? 0
        var figures = [
            Figure(
                group: group, name: "start of a run to the guest's first serial line", unit: "s", better: .lower, vcpus: vcpus,
                accelerator: accelerator, samples: passed.compactMap(\.firstSerialLineAfter))
        ]
        var hangToReport = Figure(
            group: group, name: "hang to complete diagnosis (last output to report)", unit: "s", better: .lower,
            vcpus: vcpus, accelerator: accelerator,
            samples: passed.compactMap { $0.diagnosisTiming?.fromLastOutput },
            note: "includes the scenario's \(Int(silence * 1000)) ms silence window")
        hangToReport.requireMedian(below: diagnosisTarget)
        figures.append(hangToReport)
        figures.append(
            Figure(
                group: group, name: "diagnosis alone (watchdog to report, every vCPU)", unit: "ms", better: .lower,
                vcpus: vcpus, accelerator: accelerator,
                samples: passed.compactMap { $0.diagnosisTiming.map { $0.fromWatchdog * 1000 } }))
        return figures.filter { $0.samples.count > 0 }
    }

    /// Runs `scenario` (a guest that boots and then idles) `count` times, each alone, and
    /// returns this process's CPU time over the wall time of each run, in percent.
    public static func idleCPUShare(_ bench: VMBench, _ scenario: Scenario, count: Int, accelerator: String) -> Figure? {
        var shares: [Double] = []
        for attempt in 1...count {
            let started = MonotonicInstant.now
            let cpu = ResourceUsage.cpuSeconds()
            let result = bench.run(scenario, count: 1, label: "\(scenario.name) #\(attempt)")
            let usage = ResourceUsage.since(started, cpuAtStart: cpu)
            if result.allSatisfy(\.verdict.isSuccess) { shares.append(usage.cpuSeconds / usage.wallSeconds * 100) }
        }
        guard !shares.isEmpty else { return nil }
        return Figure(
            group: group, name: "own CPU while a guest idles", unit: "%", better: .lower,
            vcpus: scenario.machine.vcpus, accelerator: accelerator, samples: shares,
            note: "getrusage of the harness process (its threads, not QEMU's) over each run")
    }

    /// Peak resident memory of this process while `vms` VMs run at once.
    public static func peakMemory(_ bench: VMBench, _ scenario: Scenario, vms: Int, accelerator: String) -> Figure? {
        guard PeakMemory.reset() else { return nil }
        let (results, _) = bench.suite(Array(repeating: scenario, count: vms), jobs: vms)
        let peak = Double((PeakMemory.kibibytes() ?? 0) * 1024) / 1_000_000
        guard results.allSatisfy(\.verdict.isSuccess) else { return nil }
        return Figure(
            group: group, name: "peak memory with \(vms) VMs in parallel", unit: "MB", better: .lower,
            vcpus: scenario.machine.vcpus, accelerator: accelerator, samples: [peak],
            note: "VmHWM of the harness process, reset before; QEMU's memory not included")
    }

    /// The `make test` suite (every non-nightly, non-bench scenario) on `jobs` VMs at once (in
    /// deterministic mode with `deterministicSeed`).
    public static func suiteRate(
        _ bench: VMBench, _ scenarios: [Scenario], jobs: Int, accelerator: String,
        deterministicSeed seed: UInt64? = nil
    ) -> (Figure, failed: Int, seconds: Double) {
        let (results, seconds) = bench.suite(scenarios, jobs: jobs, deterministicSeed: seed)
        let failed = results.filter { !$0.verdict.isSuccess }.count
        let mode = seed.map { ", --deterministic --seed \($0)" } ?? ""
        let figure = Figure(
            group: group, name: "scenarios per minute, the `make test` suite (\(scenarios.count)), --jobs \(jobs)\(mode)",
            unit: "per min", better: .higher, accelerator: accelerator,
            samples: [Double(results.count) / seconds * 60],
            note: failed == 0 ? "\(Int(seconds)) s" : "\(Int(seconds)) s, \(failed) failed")
        return (figure, failed, seconds)
    }
}
