// In-kernel tests of SMP and the scheduler: lock contention on every CPU, cross-calls, IPI
// round trips, preemption of a spinning thread, and work stealing of 1,000 threads.
import Hardware
import Synchronization

let contendedLock = SpinLock()
nonisolated(unsafe) var contendedCounter = 0

enum SMPTests {
    static let flag = Atomic<Int>(0)
    static let seen = Atomic<UInt64>(0)

    static func othersMask() -> UInt64 { CPUs.onlineMask.load(ordering: .acquiring) & ~(1 << UInt64(CPUs.currentIndex)) }

    /// Settled figures for leak checks: retired pages flushed first.
    /// `frames` counts free frames plus the heap's mapped pages: the heap may keep a cached
    /// empty page per size class, which is not a leak.
    static func settledFigures() -> (bytes: Int, frames: Int, stacks: Int, tasks: Int) {
        Settle.memory()
        let heap = KernelHeap.statistics
        return (
            heap.bytesInUse, PhysicalMemory.freeFrames + heap.mappedBytes / 4096,
            KernelStacks.outstanding.load(ordering: .relaxed), Scheduler.liveTasks.load(ordering: .relaxed)
        )
    }

    /// 1,000 threads created on CPU 0 (not pinned): every CPU must run some, the steal counters
    /// must show it, and once all are reaped nothing may be left behind.
    static func stealing(_ t: inout TestContext) {
        ThreadBatch.prepare()  // before the baseline
        let before = settledFigures()
        var stealsBefore: UInt64 = 0
        for c in 0..<CPUs.count where CPUs.isOnline(c) { stealsBefore &+= CPUs.block(c).pointee.steals.load(ordering: .relaxed) }
        let start = Clock.microsecondsSinceBoot
        if !ThreadBatch.run(count: 1000, worker) {
            t.expect(false, "spawn failed")
            return
        }
        let elapsed = Clock.microsecondsSince(start)
        var steals: UInt64 = 0
        var cpusUsed = 0
        for c in 0..<CPUs.count where CPUs.isOnline(c) {
            steals &+= CPUs.block(c).pointee.steals.load(ordering: .relaxed)
            if ThreadBatch.ranOn[c] > 0 { cpusUsed += 1 }
        }
        steals -= stealsBefore
        t.note { l in
            l.text("elapsed_us=")
            l.dec(elapsed)
            l.text(" steals=")
            l.dec(steals)
            for c in 0..<CPUs.count where CPUs.isOnline(c) {
                l.text(" cpu")
                l.dec(c)
                l.text("=")
                l.dec(ThreadBatch.ranOn[c])
            }
        }
        // Keys of the `bench:` lines: docs/kernel-interface.md, "Figure lines".
        Console.record("bench:") { l in
            l.field("threads_1000_us", elapsed)
            l.field("cpus", CPUs.onlineCount)
        }
        t.expect(cpusUsed == CPUs.onlineCount, "some CPU ran none of the threads")
        if CPUs.onlineCount > 1 { t.expect(steals > 0, "no steals counted") }
        // Every thread reaped (ThreadBatch.waitForAll waited for it): nothing left behind.
        let after = settledFigures()
        t.expect(after.tasks == before.tasks, "tasks not all reaped")
        t.expect(Scheduler.deadAwaitingReap.load(ordering: .relaxed) == 0, "dead tasks awaiting reap")
        t.expect(after.stacks == before.stacks, "kernel stacks outstanding")
        t.expect(after.bytes == before.bytes, "heap bytes not back to baseline")
        t.expect(after.frames == before.frames, "free frames not back to baseline")
    }

    static let suite = KernelTestSuite(
        name: "smp", explicitOnly: false,
        tests: [
            KernelTest(name: "all_cpus_online") { t in
                t.expect(CPUs.onlineCount == CPUs.count, "a discovered CPU did not come online")
                t.note {
                    $0.text("cpus=")
                    $0.dec(CPUs.onlineCount)
                    $0.text(" bringup_ms=")
                    $0.dec(SMP.bringUpMilliseconds)
                }
            },
            KernelTest(name: "lock_contention") { t in
                contendedCounter = 0
                let n = CPUs.onlineCount
                ThreadBatch.run(count: n, contender, pinned: true, on: { CPUs.online(roundRobin: $0) })
                t.expect(contendedCounter == n * contenderRounds, "increments were lost under contention")
            },
            KernelTest(name: "crosscall_every_cpu") { t in
                seen.store(0, ordering: .relaxed)
                let others = othersMask()
                CrossCall.run(on: others, markSeen, 0)
                t.expect(seen.load(ordering: .acquiring) == others, "not every CPU ran the call")
            },
            KernelTest(name: "ipi_round_trip") { t in
                guard othersMask() != 0 else {
                    t.note { $0.text("one CPU: nothing to measure") }
                    return
                }
                let target = othersMask().trailingZeroBitCount
                let rounds: UInt64 = 200
                let start = cpu_rdtsc()
                for _ in 0..<rounds { CrossCall.run(on: 1 << UInt64(target), markSeen, 0) }
                let ns = (cpu_rdtsc() &- start) * 1_000_000 / Clock.ticksPerMillisecond / rounds
                Console.record("bench:") { l in
                    l.field("ipi_round_trip_ns", ns)
                    l.field("cpus", CPUs.onlineCount)
                }
            },
            KernelTest(name: "preemption_of_a_spinning_thread") { t in
                let me = CPUs.current.pointee.current!
                me.pointee.pinned = true
                flag.store(0, ordering: .relaxed)
                let switchesBefore = CPUs.current.pointee.switches.load(ordering: .relaxed)
                Scheduler.spawn(spinner, 0, on: CPUs.currentIndex, pinned: true)
                // Only a timer preemption of the spinner can bring this task back on this CPU.
                while flag.load(ordering: .acquiring) == 0 { Scheduler.yield() }
                flag.store(2, ordering: .releasing)
                while flag.load(ordering: .acquiring) != 3 { Scheduler.yield() }
                me.pointee.pinned = false
                t.expect(CPUs.current.pointee.switches.load(ordering: .relaxed) > switchesBefore + 2, "too few switches")
            },
            KernelTest(name: "stealing_1000_threads") { t in stealing(&t) },
            KernelTest(name: "context_switch_cost") { t in
                let me = CPUs.current.pointee.current!
                me.pointee.pinned = true
                flag.store(0, ordering: .relaxed)
                Scheduler.spawn(yielder, 0, on: CPUs.currentIndex, pinned: true)
                let rounds: UInt64 = 2000
                let start = cpu_rdtsc()
                for _ in 0..<rounds { Scheduler.yield() }
                let ns = (cpu_rdtsc() &- start) * 1_000_000 / Clock.ticksPerMillisecond / (rounds * 2)
                flag.store(1, ordering: .releasing)
                while flag.load(ordering: .acquiring) != 2 { Scheduler.yield() }
                me.pointee.pinned = false
                Console.record("bench:") { $0.field("context_switch_ns", ns) }
            },
        ])
}

private let contenderRounds = 20_000
private let contender: TaskEntry = { _ in
    for _ in 0..<contenderRounds { contendedLock.withLock { contendedCounter += 1 } }
    ThreadBatch.finishOne()
}

private let markSeen: CrossCallFunction = { _ in
    SMPTests.seen.bitwiseOr(1 << UInt64(CPUs.currentIndex), ordering: .releasing)
}

private let spinner: TaskEntry = { _ in
    SMPTests.flag.store(1, ordering: .releasing)
    while SMPTests.flag.load(ordering: .acquiring) != 2 { cpu_pause() }
    SMPTests.flag.store(3, ordering: .releasing)
}

/// Work per stealing-test thread: small in the test, larger in `bench.threads_1000` so the
/// figure measures parallel speed-up rather than per-task overhead.
nonisolated(unsafe) var workerRounds = 400_000

private let worker: TaskEntry = { i in
    var x = i
    for _ in 0..<workerRounds { x = x &* 6364136223846793005 &+ 1442695040888963407 }
    if x == 42 { Console.line("never") }
    ThreadBatch.finishOne()
}

private let yielder: TaskEntry = { _ in
    while SMPTests.flag.load(ordering: .acquiring) == 0 { Scheduler.yield() }
    SMPTests.flag.store(2, ordering: .releasing)
}
