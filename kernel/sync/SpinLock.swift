// Spin lock that disables interrupts while held, so a handler on the same CPU can never spin
// on a lock its own CPU holds. On bare metal it is a ticket lock (FIFO: every wait bounded).
// In a guest whose vCPUs share host cores, FIFO hand-off to a vCPU the host has descheduled
// stalls every waiter for a host timeslice per hand-off, so, like Linux's virt_spin_lock, the
// kernel switches to test-and-set there (`SpinLockMode`, chosen once at boot before any CPU
// contends). The holder (CPU and return address) is recorded either way.
import Hardware
import Synchronization

struct SpinLock: ~Copyable {
    private let nextTicket = Atomic<UInt32>(0)
    private let nowServing = Atomic<UInt32>(0)
    /// The lock word in test-and-set mode (kept apart, so the ticket counters a lock has
    /// already used before the mode is chosen do not read as held).
    private let held = Atomic<UInt32>(0)
    /// The return address of whoever took the lock last, for a debugger looking at a frozen machine.
    private let holderAddress = Atomic<UInt64>(0)
    /// The CPU holding it, or -1.
    private let holderCPU = Atomic<Int>(-1)
    /// Where this lock reports its holder in `Kernel.lockHolders` (-1: nowhere).
    private let registrySlot: Int

    init() { registrySlot = -1 }

    /// A lock a debugger can see from outside: its holder is mirrored into `lockHolders[slot]`.
    init(registrySlot: LockRegistry.Slot) { self.registrySlot = registrySlot.rawValue }

    /// Takes the lock with interrupts off; returns the flags to hand back to `unlock`.
    @inline(never)
    func lock() -> UInt64 {
        let flags = cpu_rflags()
        cpu_cli()
        let testAndSet = SpinLockMode.testAndSet
        let ticket = testAndSet ? 0 : nextTicket.wrappingAdd(1, ordering: .relaxed).oldValue
        var spins: UInt64 = 0
        var start: UInt64 = 0
        while testAndSet
            ? held.exchange(1, ordering: .acquiring) != 0
            : nowServing.load(ordering: .acquiring) != ticket
        {
            if testAndSet {
                while held.load(ordering: .relaxed) != 0 && spins & 0xFFFF != 0xFFFF {
                    cpu_pause()
                    spins &+= 1
                }
            }
            cpu_pause()
            spins &+= 1
            if spins & 0xFFFF == 0 && LockDebug.deadlineMilliseconds != 0 {
                if start == 0 {
                    start = Clock.millisecondsSinceBoot
                } else if Clock.millisecondsSince(start) > LockDebug.deadlineMilliseconds {
                    LockDebug.report(
                        holderCPU: holderCPU.load(ordering: .relaxed),
                        holderAddress: holderAddress.load(ordering: .relaxed),
                        waited: Clock.millisecondsSince(start))
                    start = Clock.millisecondsSinceBoot
                }
            }
        }
        let address = UInt64(UInt(bitPattern: returnAddress()))
        let cpu = CPUs.currentIndex
        holderAddress.store(address, ordering: .relaxed)
        holderCPU.store(cpu, ordering: .relaxed)
        if registrySlot >= 0 { lockHolders[registrySlot] = UInt64(cpu + 1) << 48 | (address & 0xFFFF_FFFF_FFFF) }
        return flags
    }

    func unlock(_ flags: UInt64) {
        unlockKeepingInterruptsOff()
        cpu_restore_rflags(flags)
    }

    /// Releases the lock but leaves interrupts off (the caller restores them later).
    func unlockKeepingInterruptsOff() {
        if registrySlot >= 0 { lockHolders[registrySlot] = 0 }
        holderAddress.store(0, ordering: .relaxed)
        holderCPU.store(-1, ordering: .relaxed)
        if SpinLockMode.testAndSet {
            held.store(0, ordering: .releasing)
        } else {
            nowServing.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Takes the lock when interrupts are already off (the scheduler's paths).
    func lockInterruptsOff() { _ = lock() }

    /// Runs `body` holding the lock.
    func withLock<R>(_ body: () -> R) -> R {
        let flags = lock()
        defer { unlock(flags) }
        return body()
    }

    var isLocked: Bool {
        SpinLockMode.testAndSet
            ? held.load(ordering: .relaxed) != 0
            : nextTicket.load(ordering: .relaxed) != nowServing.load(ordering: .relaxed)
    }
}

/// Which discipline every spin lock uses. Set once on the boot CPU before any lock is contended.
enum SpinLockMode {
    nonisolated(unsafe) static var testAndSet = false

    /// Test-and-set when CPUID says a hypervisor runs us, unless the command line chose.
    static func choose(_ option: SpinLockOption) {
        switch option {
        case .ticket: testAndSet = false
        case .testAndSet: testAndSet = true
        case .automatic:
            var a: UInt32 = 0
            var b: UInt32 = 0
            var c: UInt32 = 0
            var d: UInt32 = 0
            cpu_cpuid(1, 0, &a, &b, &c, &d)
            testAndSet = c & (1 << 31) != 0
        }
    }
}

/// `Kernel.lockHolders`, for a debugger reading a frozen machine: one word per named lock
/// (`LockRegistry.Slot`), 0 while free, else (holder CPU + 1) << 48 | the return address
/// where it was taken.
nonisolated(unsafe) var lockHolders: InlineArray<8, UInt64> = .init(repeating: 0)

enum LockRegistry {
    enum Slot: Int { case console = 0, heap = 1, pageTables = 2, frames = 3, processes = 4, kernelStacks = 5 }
}

/// `lockdebug=<ms>`: a CPU that waits longer than this for a spin lock says so (0: off).
enum LockDebug {
    nonisolated(unsafe) static var deadlineMilliseconds: UInt64 = 0

    static func report(holderCPU: Int, holderAddress: UInt64, waited: UInt64) {
        Console.forcedLine { l in
            l.text("lock: CPU ")
            l.dec(CPUs.currentIndex)
            l.text(" waited_ms=")
            l.dec(waited)
            l.text(" for a lock held by CPU ")
            l.dec(holderCPU)
            l.text(" taken at ")
            l.hex(holderAddress)
        }
    }
}

/// The caller's return address, read from the frame record (frame pointers are always kept).
@inline(__always)
private func returnAddress() -> UnsafeRawPointer? {
    let frame = UnsafePointer<UInt64>(bitPattern: UInt(cpu_frame_pointer()))
    return frame.flatMap { UnsafeRawPointer(bitPattern: UInt($0[1])) }
}
