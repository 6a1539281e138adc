// Running a function on other CPUs and waiting for them, with a deadline: a CPU that does not
// answer (halted, or spinning with interrupts off) is named and the kernel panics cleanly,
// instead of every CPU that needs it freezing one after another.
import Hardware
import Synchronization

typealias CrossCallFunction = @convention(c) (UInt64) -> Void

enum CrossCall {
    /// One request at a time, taken in turn (a ticket per caller): a caller waiting for its turn
    /// keeps interrupts on, so it still answers requests aimed at itself. In turn, not first come
    /// first served by luck: with an exchange, a CPU making cross-calls in a loop took the slot
    /// back at once, and another CPU's TLB shootdown (a heap page returned) could wait for tens
    /// of seconds on a loaded host.
    static let nextTurn = Atomic<UInt64>(0)
    static let nowServing = Atomic<UInt64>(0)
    nonisolated(unsafe) static var function: CrossCallFunction? = nil
    nonisolated(unsafe) static var argument: UInt64 = 0
    nonisolated(unsafe) static var reportsCompletion = true
    /// Targets that have not yet taken the request, and those that have not finished it.
    static let notReceived = Atomic<UInt64>(0)
    static let notFinished = Atomic<UInt64>(0)
    /// How long a caller waits before declaring a CPU unresponsive (`ipi_deadline_ms=`; 0: forever).
    nonisolated(unsafe) static var deadlineMilliseconds: UInt64 = 500
    static let calls = Atomic<UInt64>(0)

    /// Runs `function(argument)` on every online CPU in `targets` except the caller. Waits until
    /// each has finished it (or, without `waitForCompletion`, has taken it).
    /// Precondition: interrupts on, no spin lock held.
    static func run(on targets: UInt64, _ function: CrossCallFunction, _ argument: UInt64, waitForCompletion: Bool = true) {
        let me = CPUs.current
        let targets = targets & CPUs.onlineMask.load(ordering: .acquiring) & ~(1 << UInt64(me.pointee.index))
        if targets == 0 { return }
        if cpu_rflags() & (1 << 9) == 0 { panic("cross-call with interrupts off (it could never be answered)") }
        me.pointee.preemptDisabled += 1
        let turn = nextTurn.wrappingAdd(1, ordering: .relaxed).oldValue
        while nowServing.load(ordering: .acquiring) != turn { cpu_pause() }
        self.function = function
        self.argument = argument
        self.reportsCompletion = waitForCompletion
        notFinished.store(waitForCompletion ? targets : 0, ordering: .relaxed)
        notReceived.store(targets, ordering: .releasing)
        calls.wrappingAdd(1, ordering: .relaxed)
        for cpu in 0..<CPUs.count where targets & (1 << UInt64(cpu)) != 0 {
            LocalAPIC.sendIPI(to: CPUs.block(cpu).pointee.apicID, vector: Vector.crossCall)
        }
        let start = Clock.millisecondsSinceBoot
        while true {
            let waiting =
                waitForCompletion
                ? notFinished.load(ordering: .acquiring) | notReceived.load(ordering: .acquiring)
                : notReceived.load(ordering: .acquiring)
            if waiting == 0 { break }
            if deadlineMilliseconds != 0 && Clock.millisecondsSince(start) > deadlineMilliseconds {
                unresponsive(waiting, caller: me.pointee.index, waited: Clock.millisecondsSince(start))
            }
            cpu_pause()
        }
        nowServing.wrappingAdd(1, ordering: .releasing)
        me.pointee.preemptDisabled -= 1
    }

    /// Runs on every other online CPU and waits.
    static func runOnOthers(_ function: CrossCallFunction, _ argument: UInt64) {
        run(on: ~0, function, argument)
    }

    /// The cross-call interrupt: take the request, run it, report.
    static func interrupt() {
        let bit: UInt64 = 1 << UInt64(CPUs.current.pointee.index)
        guard notReceived.load(ordering: .acquiring) & bit != 0, let f = function else { return }
        let a = argument
        let report = reportsCompletion
        notReceived.bitwiseAnd(~bit, ordering: .acquiringAndReleasing)
        f(a)
        if report { notFinished.bitwiseAnd(~bit, ordering: .releasing) }
    }

    private static func unresponsive(_ waiting: UInt64, caller: Int, waited: UInt64) -> Never {
        let k = waiting.trailingZeroBitCount
        Console.line { l in
            l.text("smp: CPU ")
            l.dec(k)
            l.text(" unresponsive to IPI from CPU ")
            l.dec(caller)
            l.text(" waited_ms=")
            l.dec(waited)
        }
        Backtrace.print(framePointer: cpu_frame_pointer())
        panic("cross-call deadline missed") { l in
            l.text(" cpu=")
            l.dec(k)
        }
    }
}

enum TLBShootdown {
    static let shootdowns = Atomic<UInt64>(0)

    /// Flushes the TLB (non-global entries) on every CPU. Precondition: interrupts on, no lock held.
    static func flushAll() {
        cpu_flush_tlb()
        if CPUs.onlineCount > 1 {
            shootdowns.wrappingAdd(1, ordering: .relaxed)
            CrossCall.runOnOthers(flushHere, 0)
        }
    }
}

private let flushHere: CrossCallFunction = { _ in cpu_flush_tlb() }
