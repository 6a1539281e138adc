// Leaving the machine: the exit codes the harness reads (docs/kernel-interface.md) through
// QEMU's isa-debug-exit device, and the pvpanic signal.
import Hardware

enum ExitCode: UInt32 {
    /// Clean shutdown: the run, or every selected test, passed. QEMU status 33.
    case success = 0x10
    /// Clean shutdown with at least one failed KTAP test. QEMU status 35.
    case testFailure = 0x11
    /// Kernel panic, after the report. QEMU status 37.
    case panic = 0x12
}

enum Machine {
    /// Ends the VM with `code`. Falls back to an ACPI power-off, then to halting, when the
    /// isa-debug-exit device is absent. The console is drained first: QEMU exits at once on the
    /// isa-debug-exit write, and bytes still in the UART would be lost (docs/harness.md).
    static func exit(_ code: ExitCode) -> Never {
        Serial.waitUntilSent()
        outl(0xF4, code.rawValue)
        outw(0x604, 0x2000)  // QEMU's ACPI power-off
        haltForever()
    }

    /// Tells QEMU's pvpanic device that the guest panicked (a GUEST_PANICKED event on QMP).
    static func signalPanic() { outb(0x505, 1) }

    static func haltForever() -> Never {
        while true {
            cpu_cli()
            cpu_hlt()
        }
    }
}
