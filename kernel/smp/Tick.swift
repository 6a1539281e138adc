// The per-CPU timer tick: heartbeat, the soft-lockup watch over the next CPU in the ring, the
// heartbeat line for the harness (boot CPU), and preemption.
import Hardware
import Synchronization

enum Tick {
    /// `heartbeat=<ms>`: print a heartbeat line this often (0: never).
    nonisolated(unsafe) static var heartbeatInterval: UInt64 = 0
    nonisolated(unsafe) static var lastHeartbeatLine: UInt64 = 0
    /// CPUs whose next NMI should print a soft-lockup backtrace.
    static let backtraceRequests = Atomic<UInt64>(0)
    /// `tick_jitter=<salt>` (0: off): in deterministic mode the harness passes a salt drawn from
    /// the seed. The LAPIC timers' deadlines are where QEMU's round-robin vCPU thread ends a
    /// slice, so jittered periods move the points where CPUs interleave, per seed.
    nonisolated(unsafe) static var jitterSalt: UInt64 = 0
    /// `tick_yield=1`: each tick executes one `pause`. On hardware a hint; in QEMU's TCG it ends
    /// the vCPU's turn (helper_pause: EXCP_INTERRUPT), and under icount QEMU 7.2's single vCPU
    /// thread otherwise gives a busy CPU every instruction up to the next timer deadline while
    /// the CPUs after it in its list get none (fixed upstream in 8.x by splitting the budget):
    /// a busy CPU 0 then starved CPU 1 for seconds of guest time. With it, a busy CPU hands the
    /// rest of its turn on at every tick.
    nonisolated(unsafe) static var yieldsToOtherVCPUs = false

    static func interrupt(_ frame: UnsafeMutablePointer<trap_frame>) {
        LocalAPIC.endOfInterrupt()
        let cpu = CPUs.current
        let beat = cpu.pointee.heartbeat.wrappingAdd(1, ordering: .relaxed).newValue
        cpuHeartbeats[cpu.pointee.index] = beat
        if jitterSalt != 0 { LocalAPIC.setTimerPeriod(microseconds: nextPeriodMicroseconds(cpu: cpu.pointee.index, beat: beat)) }
        if yieldsToOtherVCPUs { cpu_pause() }
        let now = Clock.millisecondsSinceBoot
        if cpu.pointee.index == 0 && heartbeatInterval != 0
            && Clock.elapsed(from: lastHeartbeatLine, to: now) >= heartbeatInterval
        {
            lastHeartbeatLine = now
            Heartbeat.printLine()
        }
        watchNextCPU(cpu, now: now)
        HaltRequest.check(cpu.pointee.index)
        if cpu.pointee.index == 0 { TickWait.tick() }
        if cpu.pointee.preemptDisabled == 0 && Panic.owner.load(ordering: .relaxed) == -1 {
            Scheduler.schedule()
        }
    }

    /// The next tick's period: tickMilliseconds ± tickJitterPercent, a pure function of the
    /// salt, the CPU and its tick count (so a seed gives the same periods every run).
    static func nextPeriodMicroseconds(cpu: Int, beat: UInt64) -> UInt64 {
        var random = SeededRandom(seed: jitterSalt ^ (UInt64(cpu) << 48) ^ beat &* 0x9E37_79B9)
        let base = Parameters.tickMilliseconds * 1000
        let spread = base * Parameters.tickJitterPercent / 100
        return base - spread + random.next(below: 2 * spread + 1)
    }

    /// Each CPU watches the next online one: a heartbeat that stops while this CPU still ticks
    /// means that CPU is stuck with interrupts off. Reported once per stall, with its backtrace.
    private static func watchNextCPU(_ cpu: CPUPointer, now: UInt64) {
        guard CPUs.onlineCount > 1, !SeedFaults.enabled else { return }
        var k = cpu.pointee.index
        repeat { k = (k + 1) % CPUs.count } while !CPUs.isOnline(k)
        if k == cpu.pointee.index { return }
        let beats = CPUs.block(k).pointee.heartbeat.load(ordering: .relaxed)
        if beats != cpu.pointee.watchedHeartbeat || cpu.pointee.watchedSinceMillisecond == 0 {
            cpu.pointee.watchedHeartbeat = beats
            cpu.pointee.watchedSinceMillisecond = now
            cpu.pointee.lockupReported = false
        } else if !cpu.pointee.lockupReported
            && Clock.elapsed(from: cpu.pointee.watchedSinceMillisecond, to: now) > Parameters.softLockupMilliseconds
        {
            cpu.pointee.lockupReported = true
            Console.forcedLine { l in
                l.text("watchdog: CPU ")
                l.dec(k)
                l.text(" stuck for ")
                l.dec(Clock.elapsed(from: cpu.pointee.watchedSinceMillisecond, to: now))
                l.text(" ms (seen by CPU ")
                l.dec(cpu.pointee.index)
                l.text(")")
            }
            backtraceRequests.bitwiseOr(1 << UInt64(k), ordering: .releasing)
            LocalAPIC.sendNMI(to: CPUs.block(k).pointee.apicID)
        }
    }
}

enum Heartbeat {
    /// One line a debugger-free harness can tell progress from a hang by:
    /// `heartbeat: uptime_ms=... cpus=... switches=... steals=... tasks=... ...`.
    /// Keys: docs/kernel-interface.md, "Figure lines".
    static func printLine() {
        let heap = KernelHeap.core == nil ? nil : KernelHeap.unlockedStatistics
        Console.forcedRecord("heartbeat:") { l in
            l.field("uptime_ms", Clock.millisecondsSinceBoot)
            l.field("cpus", CPUs.onlineCount)
            var switches: UInt64 = 0
            var steals: UInt64 = 0
            for c in 0..<CPUs.count where CPUs.isOnline(c) {
                switches &+= CPUs.block(c).pointee.switches.load(ordering: .relaxed)
                steals &+= CPUs.block(c).pointee.steals.load(ordering: .relaxed)
            }
            l.field("switches", switches)
            l.field("steals", steals)
            SchedulerStatistics.taskFields(l)
            SchedulerStatistics.processFields(l)
            l.field("heap.bytes", heap?.bytesInUse ?? 0)
            l.field("heap.mapped", heap?.mappedBytes ?? 0)
            l.field("frames.free", PhysicalMemory.frames?.freeFrames ?? 0)
            for c in 0..<CPUs.count where CPUs.isOnline(c) {
                let b = CPUs.block(c)
                l.field(cpu: c, "beats", b.pointee.heartbeat.load(ordering: .relaxed))
                l.field(cpu: c, "switches", b.pointee.switches.load(ordering: .relaxed))
                l.field(cpu: c, "queue", b.pointee.runQueue.length.load(ordering: .relaxed))
            }
        }
    }
}
