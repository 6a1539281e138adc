// Deliberate failures chosen with `debug=` on the command line, so the harness can prove that
// it recognises each way a machine can end.
import Hardware

enum DebugActions {
    static func run(_ action: DebugAction) {
        switch action {
        case .none: return
        case .hang:
            Console.line("debug: hanging")
            cpu_cli()
            while true { cpu_pause() }
        case .hangLocked:
            // The freeze a debugger should explain as "CPU n, here, holding the heap lock".
            Console.line("debug: hanging with the heap lock held")
            _ = KernelHeap.lock.lock()
            while true { cpu_pause() }
        case .panic:
            panic("deliberate panic (debug=panic)")
        case .tripleFault:
            Console.line("debug: triple fault")
            cpu_triple_fault()
        case .silent:
            Console.line("debug: going silent")
            Console.silenced = true
        case .race:
            PlantedRace.run()
        case .userSpin:
            // A freeze in user space: one `spin` process (burning, never yielding) per online CPU
            // and no more output. The diagnosis must say the CPUs are in user mode, not walk the
            // processes' stacks as kernel frames.
            for cpu in 0..<CPUs.count where CPUs.isOnline(cpu) { _ = Processes.spawn("spin", argument: 0, on: cpu) }
            Console.line("debug: spinning in user mode")
        case .seedFaults:
            return  // in force since `beforeWorkloads`
        }
    }

    /// What must be in force before the `storm=`/`workload=` runs: `debug=seed-faults`.
    static func beforeWorkloads(_ action: DebugAction) {
        if action == .seedFaults { SeedFaults.enable() }
    }
}

/// A halt asked for from outside, through the gdbstub (`gdb: {write: Kernel.haltRequest, value:
/// N}`): CPU N (1 and up; 0 means no request) stops at its next timer tick, spinning with
/// interrupts off as `halt-cpu N` would make it. The scenario proves the freeze is found however
/// it was made, without the kernel's help in making it.
nonisolated(unsafe) var haltRequest: UInt64 = 0

enum HaltRequest {
    /// Called on every tick: the CPU named by `haltRequest` halts here for good.
    static func check(_ index: Int) {
        guard index != 0, haltRequest == UInt64(index) else { return }
        haltRequest = 0
        Console.line {
            $0.text("debug: CPU ")
            $0.dec(index)
            $0.text(" halting with interrupts off (debugger request)")
        }
        haltWithInterruptsOff(0)
    }
}

/// Spins for ever with interrupts off: only an NMI reaches this CPU again. A deliberate freeze
/// (a cross-call for `halt-cpu`, the `halted_cpu` test, a debugger's `haltRequest`).
let haltWithInterruptsOff: CrossCallFunction = { _ in
    cpu_cli()
    while true { cpu_pause() }
}
