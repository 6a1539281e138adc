// `make bench`: the kernel's and the harness's figures, with Debian's Linux booted by the same
// harness in the same QEMU as the peer; writes build/bench.json and build/bench.md and prints
// the table. Flags in, library calls out (Sources/Benchmarks, Sources/BenchReport).
import ArgumentParser
import BenchReport
import Benchmarks
import Foundation
import HostSystem
import QEMUMachine
import Scenario

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the kernel, the harness and the Linux peer; write build/bench.json and build/bench.md.",
        discussion: "Run by `make bench`, which builds the kernel, the peer and heap-bench first. See docs/performance.md.")

    @Option(help: "Runs of each VM figure (median, min and max come from these).")
    var `repeat` = 5

    @Option(help: "VMs at once for the harness's peak-memory figure.")
    var vms = 4

    @Option(help: "The bench scenarios' folder.")
    var scenarios = "scenarios/bench"

    @Option(help: "The `make test` suite's folder, for scenarios per minute (\"\" skips it).")
    var suite = "scenarios"

    @Option(help: "heap-bench's JSON figures to include (\"\" for none).")
    var heap = "build/bench/heap.json"

    @Option(help: "The peer kernel's package and version, written by `make peer`.")
    var peerInfo = "build/peer/linux.txt"

    @Option(help: "Measure only these parts: kernel (with the Linux peer), kvm, harness, suite, host (repeatable; default all).")
    var only: [String] = []

    @Option(help: "Where to write the JSON report.")
    var json = "build/bench.json"

    @Option(help: "Where to write the Markdown table.")
    var markdown = "build/bench.md"

    static let parts = ["kernel", "kvm", "harness", "suite", "host"]

    func validate() throws {
        if let unknown = only.first(where: { !Self.parts.contains($0) }) {
            throw ValidationError("--only \(unknown): must be one of \(Self.parts.joined(separator: ", "))")
        }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard vms >= 1 else { throw ValidationError("--vms must be at least 1") }
    }

    func measures(_ part: String) -> Bool { only.isEmpty || only.contains(part) }

    func run() throws {
        let started = MonotonicInstant.now
        let loadAtStart = HostFacts.loadAverage
        InterruptSignal.install()
        QEMUMachine.removeAbandonedSocketDirectories()
        let bench = VMBench(folder: scenarios, repetitions: `repeat`, artifacts: "build/bench/artifacts")
        let peer = (try? String(contentsOfFile: peerInfo, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        var notes: [String] = []
        if peer == nil { notes.append("Linux peer: not built (\(peerInfo) missing; `make peer`); no peer figures") }

        var figures: [Figure] = []
        var byVCPUs: [Int: KernelMeasurements] = [:]
        for vcpus in [1, 4] where measures("kernel") {
            let measured = KernelMeasurements(
                vcpus: vcpus,
                spawn: try bench.measure("kernel-spawn", vcpus: vcpus),
                churn: try bench.measure("kernel-churn", vcpus: vcpus),
                heap: try bench.measure("kernel-heap", vcpus: vcpus),
                contextSwitch: try bench.measure("kernel-switch", vcpus: vcpus),
                ipi: vcpus > 1 ? try bench.measure("kernel-ipi", vcpus: vcpus) : nil,
                stealing: try bench.measure("kernel-stealing", vcpus: vcpus),
                peer: peer == nil ? nil : try bench.measure("linux-peer", vcpus: vcpus))
            byVCPUs[vcpus] = measured
            figures += KernelFigures.figures(measured)
        }
        if let one = byVCPUs[1]?.stealing, let four = byVCPUs[4]?.stealing,
           let speedUp = KernelFigures.stealingSpeedUp(one: one, many: four) {
            figures.append(speedUp)
        }
        if measures("kvm") { notes += try KVMProbe.run(bench, peer: peer != nil) }

        let accelerator = byVCPUs[4]?.spawn.accelerator ?? "tcg"
        if measures("harness") {
            figures += HarnessFigures.hang(bench.run(try bench.scenario("hang")), accelerator: accelerator)
            let idleRuns = min(`repeat`, 3)
            if let idle = HarnessFigures.idleCPUShare(bench, try bench.scenario("idle"), count: idleRuns, accelerator: accelerator) {
                figures.append(idle)
            }
            if let sandbox = SandboxCost.figure(count: `repeat` * 4) { figures.append(sandbox) }
            if let memory = HarnessFigures.peakMemory(bench, try bench.scenario("parallel"), vms: vms, accelerator: accelerator) {
                figures.append(memory)
            } else {
                notes.append("peak memory with \(vms) VMs: not measured (a run failed, or /proc/self/clear_refs refused)")
            }
        }
        if !suite.isEmpty && measures("suite") {
            let catalog = ScenarioCatalog.load([suite], includeNightly: false, filter: nil)
            for jobs in [1, 2] {
                let (figure, failed) = HarnessFigures.suiteRate(bench, catalog.scenarios, jobs: jobs, accelerator: accelerator)
                figures.append(figure)
                if failed > 0 { notes.append("the suite at --jobs \(jobs): \(failed) scenario(s) failed (see the lines above)") }
            }
        }
        if !heap.isEmpty && measures("host") {
            if let data = FileManager.default.contents(atPath: heap), let hostFigures = try? JSONDecoder().decode([Figure].self, from: data) {
                figures += hostFigures
            } else {
                notes.append("host allocator: \(heap) missing or unreadable (`swift run -c release heap-bench --json \(heap)`)")
            }
        }
        notes += bench.failures.map { "failed run, left out of the figures: " + $0 }
        notes.append("The machine is shared: compare the load averages above with its \(HostFacts.cores) cores; "
                     + "a load above the core count means the figures were taken under load.")

        let report = BenchReport(
            date: ISO8601DateFormatter().string(from: Date()),
            machine: .init(cpuModel: HostFacts.cpuModel, cores: HostFacts.cores,
                           qemuVersion: byVCPUs[4]?.spawn.qemuVersion ?? "unknown",
                           loadAverageAtStart: loadAtStart, loadAverageAtEnd: HostFacts.loadAverage),
            repetitions: `repeat`, peer: peer, figures: figures, notes: notes,
            elapsedSeconds: MonotonicInstant.now.seconds(since: started))
        try report.json().write(to: URL(fileURLWithPath: json))
        try report.markdown().write(toFile: markdown, atomically: true, encoding: .utf8)
        print(report.markdown())
        print("bench: \(json) and \(markdown) written")
        if InterruptSignal.wasReceived { throw ExitCode(130) }
        if !bench.failures.isEmpty { throw ExitCode.failure }
    }
}
