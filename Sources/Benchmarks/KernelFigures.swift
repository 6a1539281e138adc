// The kernel's figures and the Linux peer's, from the bench scenarios' captures (the keys are
// the kernel's figure lines, docs/kernel-interface.md), with ours compared to the peer's.
import BenchReport

/// Everything measured at one vCPU count.
public struct KernelMeasurements {
    public var vcpus: Int
    /// bench/kernel-spawn: `smp`, `ready` and `storm` captures.
    public var spawn: MeasuredRuns
    /// bench/kernel-churn: `churn`.
    public var churn: MeasuredRuns
    /// bench/kernel-heap: `kmalloc<size>`.
    public var heap: MeasuredRuns
    /// bench/kernel-switch: `switch`.
    public var contextSwitch: MeasuredRuns
    /// bench/kernel-ipi: `ipi` (two vCPUs or more).
    public var ipi: MeasuredRuns?
    /// bench/kernel-stealing: `threads`.
    public var stealing: MeasuredRuns
    /// bench/linux-peer: `init` and `spawn`.
    public var peer: MeasuredRuns?

    public init(
        vcpus: Int, spawn: MeasuredRuns, churn: MeasuredRuns, heap: MeasuredRuns, contextSwitch: MeasuredRuns,
        ipi: MeasuredRuns?, stealing: MeasuredRuns, peer: MeasuredRuns?
    ) {
        self.vcpus = vcpus
        self.spawn = spawn
        self.churn = churn
        self.heap = heap
        self.contextSwitch = contextSwitch
        self.ipi = ipi
        self.stealing = stealing
        self.peer = peer
    }
}

/// The kernel part's measurements at each vCPU count, and the facts the later parts state.
public struct KernelMeasurementsByVCPUs {
    public var byVCPUs: [Int: KernelMeasurements] = [:]
    public var measured = Measured()
    /// The accelerator the 4-vCPU runs used ("tcg" when the kernel part did not run).
    public var accelerator: String { byVCPUs[4]?.spawn.accelerator ?? "tcg" }
    public var qemuVersion: String { byVCPUs[4]?.spawn.qemuVersion ?? "unknown" }
}

public enum KernelFigures {
    /// The vCPU counts every kernel figure is measured at.
    public static let vcpuCounts = [1, 4]

    /// Runs the kernel's bench scenarios (and the Linux peer's) at each vCPU count, then the
    /// stealing speed-up between them.
    public static func measure(_ bench: VMBench, withPeer: Bool) throws -> KernelMeasurementsByVCPUs {
        var result = KernelMeasurementsByVCPUs()
        for vcpus in vcpuCounts {
            let measured = KernelMeasurements(
                vcpus: vcpus,
                spawn: try bench.measure("kernel-spawn", vcpus: vcpus),
                churn: try bench.measure("kernel-churn", vcpus: vcpus),
                heap: try bench.measure("kernel-heap", vcpus: vcpus),
                contextSwitch: try bench.measure("kernel-switch", vcpus: vcpus),
                ipi: vcpus > 1 ? try bench.measure("kernel-ipi", vcpus: vcpus) : nil,
                stealing: try bench.measure("kernel-stealing", vcpus: vcpus),
                peer: withPeer ? try bench.measure("linux-peer", vcpus: vcpus) : nil)
            result.byVCPUs[vcpus] = measured
            result.measured.figures += figures(measured)
        }
        if let one = result.byVCPUs[1]?.stealing, let four = result.byVCPUs[4]?.stealing,
            let speedUp = stealingSpeedUp(one: one, many: four)
        {
            result.measured.figures.append(speedUp)
        }
        return result
    }

    public static let heapSizes = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 16384]
    /// What the issue asks: spawn/exit/wait at least 10× Linux's rate, boot at least 8× faster.
    public static let spawnTarget = 10.0
    public static let bootTarget = 8.0

    /// Ours, then the peer's own rows, for one vCPU count.
    public static func figures(_ m: KernelMeasurements) -> [Figure] {
        let kernel = "kernel"
        var bootHarness = m.spawn.figure(
            kernel, "boot to ready, harness clock (QEMU launch to `kernel: ready`)", unit: "ms",
            better: .lower, key: "ready.at_ms")
        var bootOwn = m.spawn.figure(
            kernel, "boot to ready, kernel's own boot_ms", unit: "ms", better: .lower, key: "ready.boot_ms")
        var spawn = m.spawn.figure(
            kernel, "spawn + exit + wait of a user program", unit: "per s", better: .higher, key: "storm.per_s")
        if let peer = m.peer {
            let linux = "Linux"
            if let theirs = peer.median("init.at_ms") {
                bootHarness?.compare(with: linux, median: theirs)
                bootHarness?.requireRatio(atLeast: bootTarget)
            }
            if let theirs = peer.median("init.uptime_ms") { bootOwn?.compare(with: linux + " uptime", median: theirs) }
            if let theirs = peer.median("spawn.per_s") {
                spawn?.compare(with: linux, median: theirs)
                spawn?.requireRatio(atLeast: spawnTarget)
            }
        }
        var figures = [bootHarness, bootOwn]
        if m.vcpus > 1 {
            figures.append(m.spawn.figure(kernel, "AP bring-up", unit: "ms", better: .lower, key: "smp.bringup_ms"))
        }
        figures.append(spawn)
        figures.append(
            m.churn.figure(
                kernel, "Swift Array append/release churn (storm=churn rounds)", unit: "per s",
                better: .higher, key: "churn.per_s"))
        for size in heapSizes {
            figures.append(
                m.heap.figure(
                    kernel, "kmalloc+kfree \(size) B, immediate pairs", unit: "ns", better: .lower,
                    key: "kmalloc\(size).pair_ns"))
            figures.append(
                m.heap.figure(
                    kernel, "kmalloc+kfree \(size) B, 256 live then freed", unit: "ns", better: .lower,
                    key: "kmalloc\(size).batch_ns"))
        }
        figures.append(
            m.contextSwitch.figure(
                kernel, "context switch (two pinned threads yielding)", unit: "ns",
                better: .lower, key: "switch.context_switch_ns"))
        figures.append(
            m.ipi?.figure(kernel, "IPI round trip (cross-CPU call)", unit: "ns", better: .lower, key: "ipi.ipi_round_trip_ns"))
        figures.append(
            m.stealing.figure(
                kernel, "1,000 threads created on CPU 0, all done", unit: "ms", better: .lower,
                key: "threads.threads_1000_us", scale: 0.001))
        if let peer = m.peer {
            figures.append(
                peer.figure(
                    "Linux peer", "boot to init, harness clock (QEMU launch to `peer: init`)", unit: "ms",
                    better: .lower, key: "init.at_ms"))
            figures.append(
                peer.figure(
                    "Linux peer", "boot to init, kernel's own uptime", unit: "ms", better: .lower,
                    key: "init.uptime_ms"))
            figures.append(
                peer.figure(
                    "Linux peer", "fork + exec + wait of a static program", unit: "per s", better: .higher,
                    key: "spawn.per_s"))
        }
        return figures.compactMap { $0 }
    }

    /// Work stealing: the 1,000 threads' time on 1 vCPU over the time on `many`, run by run.
    public static func stealingSpeedUp(one: MeasuredRuns, many: MeasuredRuns) -> Figure? {
        let single = one.values("threads.threads_1000_us")
        let multi = many.values("threads.threads_1000_us")
        let ratios = zip(single, multi).map { $0 / $1 }
        guard !ratios.isEmpty else { return nil }
        return Figure(
            group: "kernel", name: "stealing speed-up, 1,000 threads: 1 vCPU time / \(many.vcpus) vCPUs time", unit: "×",
            better: .higher, vcpus: many.vcpus, accelerator: many.accelerator, samples: ratios,
            note: "run i on 1 vCPU over run i on \(many.vcpus)")
    }
}
