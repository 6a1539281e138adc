// `make bench`: the kernel's and the harness's figures, with Debian's Linux booted by the same
// harness in the same QEMU as the peer; writes build/bench.json and build/bench.md and prints
// the table. Flags in, the plan (Sources/Benchmarks/BenchPlan.swift) run, files out.
import ArgumentParser
import BenchReport
import Benchmarks
import Foundation
import HostSystem

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

    @Option(
        help:
            "Measure only these parts: kernel (with the Linux peer), deterministic, kvm, harness, suite, host (repeatable; default all)."
    )
    var only: [String] = []

    @Option(help: "Where to write the JSON report.")
    var json = "build/bench.json"

    @Option(help: "Where to write the Markdown table.")
    var markdown = "build/bench.md"

    func validate() throws {
        if let unknown = only.first(where: { !BenchPlan.parts.contains($0) }) {
            throw ValidationError("--only \(unknown): must be one of \(BenchPlan.parts.joined(separator: ", "))")
        }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard vms >= 1 else { throw ValidationError("--vms must be at least 1") }
    }

    func run() throws {
        InterruptSignal.install()
        var plan = BenchPlan()
        plan.repetitions = `repeat`
        plan.vms = vms
        plan.scenarios = scenarios
        plan.suite = suite
        plan.hostAllocatorFigures = heap
        plan.peerInfo = peerInfo
        plan.only = only
        let (report, failed) = try plan.run()
        try report.json().write(to: URL(fileURLWithPath: json))
        try report.markdown().write(toFile: markdown, atomically: true, encoding: .utf8)
        print(report.markdown())
        print("bench: \(json) and \(markdown) written")
        if InterruptSignal.wasReceived { throw ExitCode(130) }
        if failed { throw ExitCode.failure }
    }
}
