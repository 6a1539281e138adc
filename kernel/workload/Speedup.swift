// `storm=speedup count=N`: does stealing make work finish sooner? The same batch of N compute
// threads runs four times, alternating: pinned to CPU 0 (the other CPUs idle in hlt, so the
// machine works like a 1-vCPU one) and created on CPU 0 unpinned (idle CPUs steal it). The
// alternation keeps a change in the host's load from favouring one side. Prints
// `storm: speedup threads=N one_cpu_ms=.. all_cpus_ms=.. speedup_pct=.. cpus=..`
// (speedup_pct = one_cpu_ms * 100 / all_cpus_ms: above 100 means the CPUs together were faster).
import Synchronization

enum Speedup {
    /// Read on every iteration so the compiler cannot fold the work away.
    static let step = Atomic<UInt64>(0x9E37_79B9_7F4A_7C15)

    static func run(threads: Int) {
        var oneCPU: UInt64 = 0
        var allCPUs: UInt64 = 0
        for round in 0..<4 {
            let pinned = round % 2 == 0
            let start = Clock.microsecondsSinceBoot
            guard ThreadBatch.run(count: threads, worker, pinned: pinned) else { panic("no memory for a speedup thread") }
            let elapsed = Clock.microsecondsSince(start)
            if pinned { oneCPU += elapsed } else { allCPUs += elapsed }
        }
        // Keys: docs/kernel-interface.md, "Figure lines".
        Console.record("storm: speedup") { l in
            l.field("threads", threads)
            l.field("one_cpu_ms", oneCPU / 1000)
            l.field("all_cpus_ms", allCPUs / 1000)
            l.field("speedup_pct", allCPUs == 0 ? 0 : oneCPU * 100 / allCPUs)
            l.field("cpus", CPUs.onlineCount)
        }
    }
}

private let worker: TaskEntry = { seed in
    var x = seed
    for _ in 0..<1_000_000 { x = x &* Speedup.step.load(ordering: .relaxed) &+ 1 }
    if x == 1 { Console.line("speedup: improbable value") }
    ThreadBatch.finishOne()
}
