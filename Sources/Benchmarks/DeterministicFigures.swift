// The kernel's figures without noise: the bench scenarios in deterministic mode, every run with
// one seed, so one icount shift and one schedule. The kernel's own figures are then read from
// its clocks, which under icount count guest instructions (2^shift ns each), not host time: the
// same seed gives the same numbers whatever the host's load. Beside them, the kernel part's
// wall-time figures of the same keys show the noise this removes (the spread column).
import BenchReport
import Runner

public enum DeterministicFigures {
    static let group = "kernel, deterministic"
    /// One seed for every run (docs/harness.md uses 7 as well): it fixes the icount shift, the
    /// kernel's tick jitter and the workload's own seed.
    public static let seed: UInt64 = 7
    /// The figures are taken at four vCPUs, the size the wall-time table's IPI figure needs.
    public static let vcpus = 4

    public static func measure(_ bench: VMBench) throws -> Measured {
        let spawn = try bench.measure("kernel-spawn", vcpus: vcpus, deterministicSeed: seed)
        let contextSwitch = try bench.measure("kernel-switch", vcpus: vcpus, deterministicSeed: seed)
        let heap = try bench.measure("kernel-heap", vcpus: vcpus, deterministicSeed: seed)
        let ipi = try bench.measure("kernel-ipi", vcpus: vcpus, deterministicSeed: seed)
        var measured = Measured()
        var rows: [Figure?] = [
            guest(spawn, "boot to ready, kernel's own boot_ms", unit: "ms", key: "ready.boot_ms"),
            guest(spawn, "AP bring-up", unit: "ms", key: "smp.bringup_ms"),
            guest(spawn, "spawn + exit + wait of a user program", unit: "per s", better: .higher, key: "storm.per_s"),
            guest(contextSwitch, "context switch (two pinned threads yielding)", unit: "ns", key: "switch.context_switch_ns"),
        ]
        for size in KernelFigures.heapSizes {
            rows.append(guest(heap, "kmalloc+kfree \(size) B, immediate pairs", unit: "ns", key: "kmalloc\(size).pair_ns"))
            rows.append(guest(heap, "kmalloc+kfree \(size) B, 256 live then freed", unit: "ns", key: "kmalloc\(size).batch_ns"))
        }
        rows.append(guest(ipi, "IPI round trip (cross-CPU call)", unit: "ns", key: "ipi.ipi_round_trip_ns"))
        measured.figures = rows.compactMap { $0 }
        let shifts = Set([spawn, contextSwitch, heap, ipi].map(\.icountShift))
        measured.notes.append(
            "kernel, deterministic: every run with seed \(seed) (`--deterministic --seed \(seed)`, icount shift "
                + shifts.sorted().joined(separator: ", ") + "): the kernel's figures are guest time, that is "
                + "instructions × 2^shift ns; the wall-time rows above are the same keys under MTTCG")
        return measured
    }

    /// A figure of guest time (lower is better unless said).
    static func guest(_ runs: MeasuredRuns, _ name: String, unit: String, better: Figure.Better = .lower, key: String) -> Figure?
    {
        guard var figure = runs.figure(group, name, unit: unit, better: better, key: key) else { return nil }
        figure.accelerator = "tcg icount shift=\(runs.icountShift)"
        return figure
    }
}
