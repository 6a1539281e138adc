// Bringing up the application processors: each AP is started with INIT-SIPI-SIPI into the
// trampoline (switch.S), climbs to long mode and lands in `ap_main` with its own stack; the
// boot CPU waits for each to check in, and carries on without one that does not.
import Hardware

enum SMP {
    /// Interrupt-stack tops of each CPU, read by the AP itself when it loads its TSS.
    nonisolated(unsafe) static var istTops: PerCPUTable<InlineArray<3, UInt64>> = .init(repeating: .init(repeating: 0))
    nonisolated(unsafe) static var stackSlots: PerCPUTable<Int> = .init(repeating: -1)
    nonisolated(unsafe) static var bringUpMilliseconds: UInt64 = 0

    /// The boot CPU's part of SMP: its per-CPU block and APIC, before the scheduler starts.
    static func initializeBootCPU() {
        let found = ACPI.discover()
        LocalAPIC.base = ACPI.localAPICAddress
        LocalAPIC.enable()
        let bootAPIC = LocalAPIC.currentID
        CPUs.prepare(index: 0, apicID: bootAPIC)
        CPUs.install(index: 0)
        CPUs.markOnline(0)
        var index = 1
        if found {
            for i in 0..<ACPI.cpuCount where ACPI.cpus[i].apicID != bootAPIC && index < Parameters.maximumCPUs {
                CPUs.prepare(index: index, apicID: ACPI.cpus[i].apicID)
                index += 1
            }
        } else {
            Console.line("smp: warning: no ACPI MADT found; running on the boot CPU only")
        }
        CPUs.count = index
        LocalAPIC.calibrateTimer()
    }

    /// Starts every AP, one at a time, and reports how many came online.
    static func startSecondaryCPUs() {
        let start = Clock.millisecondsSinceBoot
        let trampoline = UnsafeMutableRawPointer(bitPattern: UInt(AP_TRAMPOLINE))!
        trampoline.copyMemory(
            from: UnsafeRawPointer(bitPattern: UInt(ap_trampoline_code()))!, byteCount: Int(ap_trampoline_size()))
        for index in 1..<max(1, CPUs.count) {
            guard let stack = KernelStacks.allocate() else {
                Console.line("smp: no memory for AP stacks")
                break
            }
            stackSlots[index] = stack.slot
            for i in 0..<InterruptStack.count {
                guard let ist = KernelStacks.allocate() else { panic("no memory for AP interrupt stacks") }
                istTops[index][i] = ist.top
            }
            let apic = CPUs.block(index).pointee.apicID
            param(AP_PARAM_CR3).pointee = PageTables.kernelRoot
            param(AP_PARAM_STACK).pointee = stack.top
            param(AP_PARAM_ENTRY).pointee = UInt64(UInt(bitPattern: unsafeBitCast(apEntry, to: UnsafeRawPointer.self)))
            param(AP_PARAM_CPU).pointee = UInt64(index)
            param(AP_PARAM_STARTED).pointee = 0
            LocalAPIC.sendInit(to: apic)
            delay(milliseconds: 1)
            LocalAPIC.sendStartup(to: apic, page: UInt32(AP_TRAMPOLINE >> 12))
            if !waitFor(milliseconds: 10, { param(AP_PARAM_STARTED).pointee != 0 }) {
                LocalAPIC.sendStartup(to: apic, page: UInt32(AP_TRAMPOLINE >> 12))
            }
            if !waitFor(milliseconds: Parameters.apCheckInMilliseconds, { CPUs.isOnline(index) }) {
                Console.line { l in
                    l.text("smp: CPU ")
                    l.dec(index)
                    l.text(" (APIC ")
                    l.dec(apic)
                    l.text(") did not check in; carrying on without it")
                }
            }
        }
        bringUpMilliseconds = Clock.millisecondsSince(start)
        Console.line { l in
            l.text("smp: ")
            l.dec(CPUs.onlineCount)
            l.text(" CPUs online")
            l.field("bringup_ms", bringUpMilliseconds)
        }
    }

    private static func param(_ address: Int32) -> UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer(bitPattern: UInt(address))!
    }

    static func delay(milliseconds: UInt64) {
        let start = cpu_rdtsc()
        while cpu_rdtsc() &- start < Clock.ticksPerMillisecond * milliseconds { cpu_pause() }
    }

    private static func waitFor(milliseconds: UInt64, _ condition: () -> Bool) -> Bool {
        let start = cpu_rdtsc()
        while cpu_rdtsc() &- start < Clock.ticksPerMillisecond * milliseconds {
            if condition() { return true }
            cpu_pause()
        }
        return condition()
    }
}

/// Where an AP lands from the trampoline, on the stack the boot CPU gave it.
private let apEntry: @convention(c) (UInt64) -> Void = { index in
    let i = Int(index)
    CPUs.install(index: i)
    GDT.load(cpu: i, istTops: (SMP.istTops[i][0], SMP.istTops[i][1], SMP.istTops[i][2]))
    IDT.load()
    LocalAPIC.enable()
    let cpu = CPUs.current
    _ = Scheduler.adoptCurrentContext(cpu: cpu, idle: true, stackSlot: SMP.stackSlots[i])
    cpu.pointee.current!.pointee.pinned = true
    CPUs.markOnline(i)
    LocalAPIC.startTimer(periodMilliseconds: Parameters.tickMilliseconds)
    Scheduler.idleLoop()
}
