// kmain: the boot CPU's path from the assembly entry to a ready kernel, in order.
import Hardware

@_cdecl("kmain")
func kmain(_ multibootMagic: UInt32, _ multibootInfo: UInt32) -> Never {
    Serial.initialize()
    Console.line("kernel: booting")
    PIC.remapAndMask()
    GDT.load(cpu: 0, istTops: (BootStacks.istTop(0), BootStacks.istTop(1), BootStacks.istTop(2)))
    IDT.build()
    IDT.load()
    if multibootMagic != Multiboot.bootloaderMagic { panic("not started by a multiboot loader") }
    Multiboot.parse(info: UInt64(multibootInfo))
    let options = KernelOptions.parse()
    SpinLockMode.choose(options.spinLock)  // before any second CPU exists
    Panic.action = options.panicAction
    KernelRandom.generator = SeededRandom(seed: options.seed)
    Clock.calibrate()

    ACPI.recordEBDA()
    PhysicalMemory.initialize()
    PageTables.buildKernelSpace()
    KernelMappings.initialize()
    KernelHeap.initialize()
    Tick.heartbeatInterval = options.heartbeatMilliseconds
    Tick.jitterSalt = options.tickJitterSalt
    Tick.yieldsToOtherVCPUs = options.tickYield
    CrossCall.deadlineMilliseconds = options.ipiDeadlineMilliseconds
    LockDebug.deadlineMilliseconds = options.lockDebugMilliseconds

    SMP.initializeBootCPU()
    // Lazily initialised runtime globals (the hash seed) spin in swift_once: settle them now,
    // before another CPU can race for them.
    var warmUp: [Int: Int] = [:]
    warmUp[1] = 1
    Scheduler.initializeBootCPU()
    Processes.initialize()
    TickWait.initialize()
    LocalAPIC.startTimer(periodMilliseconds: Parameters.tickMilliseconds)
    cpu_sti()
    SMP.startSecondaryCPUs()
    // Keys: docs/kernel-interface.md, "Figure lines".
    Console.record("kernel: ready") { l in
        l.field("boot_ms", Clock.millisecondsSinceBoot)
        l.field("cpus", CPUs.onlineCount)
        l.field("mem_mb", (UInt64(PhysicalMemory.totalFrames) * Layout.pageSize) >> 20)
        l.field("seed", options.seed)
        l.field("spinlock", SpinLockMode.testAndSet ? "tas" : "ticket")
    }
    StatisticsLines.print()

    if let glob = options.ktest {
        let passed = KernelTests.run(glob: glob)
        Machine.exit(passed ? .success : .testFailure)
    }
    DebugActions.beforeWorkloads(options.debug)
    if let storm = options.storm {
        Storms.run(storm, count: options.count, durationMilliseconds: options.durationMilliseconds)
    }
    if options.workload == .roulette {
        Roulette.run(
            spins: options.spins, seed: options.seed, width: options.framebufferWidth, height: options.framebufferHeight)
    }
    if options.exitAfterStorm && (options.storm != nil || options.workload != nil) { Machine.exit(.success) }
    DebugActions.run(options.debug)
    Shell.start()
    Scheduler.exitCurrent()  // the boot flow is done; idle tasks take over
}
