// The one function every fatal path goes through. It prints a fixed report (marker line, CPU,
// registers, backtrace) without allocating, then tells QEMU (pvpanic, isa-debug-exit) or halts
// for a debugger when the command line says `panic=halt`.
import Hardware
import Synchronization

enum Panic {
    /// The CPU that owns the panic; -1 while none does.
    static let owner = Atomic<Int>(-1)
    nonisolated(unsafe) static var action = PanicAction.exit

    @inline(never)
    static func panic(
        _ reason: StaticString, frame: UnsafePointer<trap_frame>?, detail: (ConsoleLine) -> Void
    ) -> Never {
        cpu_cli()
        let cpu = CPUs.currentIndex
        let previous = owner.compareExchange(expected: -1, desired: cpu, ordering: .acquiringAndReleasing).original
        if previous == cpu {
            // A fault inside the report itself: say so once, and leave.
            consoleBypassLock.store(true, ordering: .relaxed)
            Console.line {
                $0.text("KERNEL PANIC: nested panic: ")
                $0.text(reason)
            }
            finish()
        } else if previous != -1 {
            // Another CPU is reporting: wait here, interrupts off, for its NMI (see stopHere).
            while true { cpu_pause() }
        }
        let stopped = stopOtherCPUs(except: cpu)
        takeConsole()
        Console.line { line in
            line.text("KERNEL PANIC: ")
            line.text(reason)
            detail(line)
        }
        if let frame {
            printRegisters(frame.pointee, cpu: cpu)
            Backtrace.print(framePointer: frame.pointee.rbp)
        } else {
            // A software panic: no trap frame, so only what can be read here is printed.
            let rbp = cpu_frame_pointer()
            let rip = UnsafePointer<UInt64>(bitPattern: UInt(rbp))?[1] ?? 0
            Console.line { l in
                l.text("cpu=")
                l.dec(cpu)
                l.text(" rip=")
                l.hex(rip, width: 16)
                l.text(" rsp=")
                l.hex(cpu_stack_pointer(), width: 16)
                l.text(" rbp=")
                l.hex(rbp, width: 16)
                l.text(" rflags=")
                l.hex(cpu_rflags(), width: 8)
            }
            Console.line { l in
                l.text("cr2=")
                l.hex(cpu_read_cr2(), width: 16)
                l.text(" cr3=")
                l.hex(cpu_read_cr3(), width: 16)
                l.text(" (software panic: general registers not captured)")
            }
            Backtrace.print(framePointer: rbp)
        }
        StatisticsLines.print()
        reportStoppedCPUs(stopped, except: cpu)
        Console.line("end of panic report")
        finish()
    }

    // MARK: stopping the other CPUs

    static let stopped = Atomic<UInt64>(0)
    static let reported = Atomic<UInt64>(0)
    static let reportTurn = Atomic<Int>(-1)

    /// Sends every other online CPU the stop IPI, then an NMI to those that did not stop within
    /// `Parameters.panicStopMilliseconds` (a CPU spinning with interrupts off only hears NMI).
    /// Returns the CPUs that stopped.
    private static func stopOtherCPUs(except me: Int) -> UInt64 {
        let others = CPUs.onlineMask.load(ordering: .acquiring) & ~(1 << UInt64(me))
        if others == 0 { return 0 }
        for c in 0..<CPUs.count where others & (1 << UInt64(c)) != 0 {
            LocalAPIC.sendIPI(to: CPUs.block(c).pointee.apicID, vector: Vector.panicStop)
        }
        if !waitUntil(allOf: others, in: stopped) {
            let missing = others & ~stopped.load(ordering: .acquiring)
            for c in 0..<CPUs.count where missing & (1 << UInt64(c)) != 0 {
                LocalAPIC.sendNMI(to: CPUs.block(c).pointee.apicID)
            }
            _ = waitUntil(allOf: others, in: stopped)
        }
        return stopped.load(ordering: .acquiring)
    }

    private static func waitUntil(allOf mask: UInt64, in bits: borrowing Atomic<UInt64>) -> Bool {
        let start = cpu_rdtsc()
        while cpu_rdtsc() &- start < Clock.ticksPerMillisecond * Parameters.panicStopMilliseconds {
            if bits.load(ordering: .acquiring) & mask == mask { return true }
            cpu_pause()
        }
        return bits.load(ordering: .acquiring) & mask == mask
    }

    /// Lets each stopped CPU print its report in turn, then names those that never stopped.
    private static func reportStoppedCPUs(_ stoppedMask: UInt64, except me: Int) {
        for c in 0..<CPUs.count where c != me && CPUs.isOnline(c) {
            if stoppedMask & (1 << UInt64(c)) != 0 {
                reportTurn.store(c, ordering: .releasing)
                _ = waitUntil(allOf: 1 << UInt64(c), in: reported)
            } else {
                Console.line {
                    $0.text("cpu=")
                    $0.dec(c)
                    $0.text(" did not stop (no answer to IPI or NMI)")
                }
            }
        }
    }

    /// Where another CPU ends up once a panic owns the machine (stop IPI or NMI): it records
    /// that it stopped, prints its place when its turn comes, and halts for good.
    static func stopHere(_ frame: UnsafeMutablePointer<trap_frame>) -> Never {
        cpu_cli()
        let me = CPUs.currentIndex
        stopped.bitwiseOr(1 << UInt64(me), ordering: .releasing)
        while reportTurn.load(ordering: .acquiring) != me { cpu_pause() }
        let f = frame.pointee
        Console.line { l in
            l.text("cpu=")
            l.dec(me)
            l.text(" stopped rip=")
            l.hex(f.rip, width: 16)
            l.text(" rsp=")
            l.hex(f.rsp, width: 16)
            l.text(" rflags=")
            l.hex(f.rflags, width: 8)
            l.text(f.rflags & (1 << 9) != 0 ? " interrupts=on" : " interrupts=off")
            l.text(f.vector == UInt64(ExceptionVector.nmi) ? " by=nmi" : " by=ipi")
        }
        Backtrace.print(framePointer: f.rbp)
        reported.bitwiseOr(1 << UInt64(me), ordering: .releasing)
        Machine.haltForever()
    }

    private static func finish() -> Never {
        Machine.signalPanic()
        if action == .halt {
            Console.line("panic: halted (panic=halt): attach a debugger")
            Machine.haltForever()
        }
        Machine.exit(.panic)
    }

    /// Waits a bounded time for the console lock (another CPU may be mid-line), then keeps it.
    private static func takeConsole() {
        var spins = 0
        while consoleLock.isLocked && spins < 1_000_000 {
            cpu_pause()
            spins += 1
        }
        consoleBypassLock.store(true, ordering: .relaxed)
    }

    private static func printRegisters(_ f: trap_frame, cpu: Int) {
        Console.line { l in
            l.text("cpu=")
            l.dec(cpu)
            l.text(" rip=")
            l.hex(f.rip, width: 16)
            l.text(" rsp=")
            l.hex(f.rsp, width: 16)
            l.text(" rbp=")
            l.hex(f.rbp, width: 16)
            l.text(" rflags=")
            l.hex(f.rflags, width: 8)
        }
        Console.line { l in
            l.text("cr0=")
            l.hex(cpu_read_cr0(), width: 8)
            l.text(" cr2=")
            l.hex(cpu_read_cr2(), width: 16)
            l.text(" cr3=")
            l.hex(cpu_read_cr3(), width: 16)
            l.text(" cr4=")
            l.hex(cpu_read_cr4(), width: 8)
            l.text(" cs=")
            l.hex(f.cs, width: 2)
            l.text(" vector=")
            l.dec(f.vector)
            l.text(" error=")
            l.hex(f.error_code)
        }
        Console.line { l in
            l.text("rax=")
            l.hex(f.rax, width: 16)
            l.text(" rbx=")
            l.hex(f.rbx, width: 16)
            l.text(" rcx=")
            l.hex(f.rcx, width: 16)
            l.text(" rdx=")
            l.hex(f.rdx, width: 16)
        }
        Console.line { l in
            l.text("rsi=")
            l.hex(f.rsi, width: 16)
            l.text(" rdi=")
            l.hex(f.rdi, width: 16)
            l.text(" r8=")
            l.hex(f.r8, width: 16)
            l.text(" r9=")
            l.hex(f.r9, width: 16)
        }
        Console.line { l in
            l.text("r10=")
            l.hex(f.r10, width: 16)
            l.text(" r11=")
            l.hex(f.r11, width: 16)
            l.text(" r12=")
            l.hex(f.r12, width: 16)
            l.text(" r13=")
            l.hex(f.r13, width: 16)
        }
        Console.line { l in
            l.text("r14=")
            l.hex(f.r14, width: 16)
            l.text(" r15=")
            l.hex(f.r15, width: 16)
        }
    }
}

/// Stops the kernel with a report. `detail` appends to the marker line (numbers, names).
func panic(_ reason: StaticString, frame: UnsafePointer<trap_frame>? = nil, detail: (ConsoleLine) -> Void = { _ in }) -> Never {
    Panic.panic(reason, frame: frame, detail: detail)
}
