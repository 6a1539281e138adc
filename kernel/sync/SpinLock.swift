// Ticket spin lock that disables interrupts while held, so a handler on the same CPU can never
// spin on a lock its own CPU holds. FIFO order keeps every CPU's wait bounded.
import Hardware
import Synchronization

struct SpinLock: ~Copyable {
    private let nextTicket = Atomic<UInt32>(0)
    private let nowServing = Atomic<UInt32>(0)
    /// The return address of whoever took the lock last, for a debugger looking at a frozen machine.
    private let holderAddress = Atomic<UInt64>(0)

    init() {}

    /// Takes the lock with interrupts off; returns the flags to hand back to `unlock`.
    @inline(never)
    func lock() -> UInt64 {
        let flags = cpu_rflags()
        cpu_cli()
        let ticket = nextTicket.wrappingAdd(1, ordering: .relaxed).oldValue
        while nowServing.load(ordering: .acquiring) != ticket { cpu_pause() }
        holderAddress.store(UInt64(UInt(bitPattern: returnAddress())), ordering: .relaxed)
        return flags
    }

    func unlock(_ flags: UInt64) {
        holderAddress.store(0, ordering: .relaxed)
        nowServing.wrappingAdd(1, ordering: .releasing)
        cpu_restore_rflags(flags)
    }

    /// Runs `body` holding the lock.
    func withLock<R>(_ body: () -> R) -> R {
        let flags = lock()
        defer { unlock(flags) }
        return body()
    }

    var isLocked: Bool {
        nextTicket.load(ordering: .relaxed) != nowServing.load(ordering: .relaxed)
    }
}

/// The caller's return address, read from the frame record (frame pointers are always kept).
@inline(__always)
private func returnAddress() -> UnsafeRawPointer? {
    let frame = UnsafePointer<UInt64>(bitPattern: UInt(cpu_frame_pointer()))
    return frame.flatMap { UnsafeRawPointer(bitPattern: UInt($0[1])) }
}
