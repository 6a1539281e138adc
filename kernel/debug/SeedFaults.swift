// `debug=seed-faults`: the seed kernel's two memory faults, restored together so a scenario can
// show the freeze they made. The Swift runtime's `free` does nothing (the seed's bump allocator
// never reclaimed), and running out of memory halts the CPU that asked, silently, with
// interrupts off (the seed's alloc_error_handler): no `Allocation failure:`, no kmalloc line,
// no panic, and the other CPUs carry on. The seed had no soft-lockup watch either, so the
// halted CPU goes unreported here too; only a look from outside (a debugger, the screen) sees it.
import Hardware

enum SeedFaults {
    nonisolated(unsafe) static var enabled = false

    static func enable() {
        Console.line("debug: seed faults on (the runtime's free does nothing; out of memory halts the CPU silently)")
        enabled = true
    }

    /// Where a CPU that ran out of memory stays for good.
    @inline(never)
    static func haltSilently() -> Never {
        cpu_cli()
        while true { cpu_hlt() }
    }
}
