// Mapping and unmapping the kernel's demand-mapped pages (heap window, kernel stacks) safely on
// SMP. A page another CPU may still hold in its TLB must not get a new frame until every CPU
// has flushed it; but a shootdown waits for other CPUs and so must never run under a lock
// with interrupts off. So an unmapped page is only *retired* (its mapping left intact) and
// `flush()`, called without locks and with interrupts on, clears, shoots down and frees the
// retired pages in a batch. Mapping a retired page again just takes it back, same frame.
// While only one CPU runs, pages are unmapped and freed at once.
import Hardware
import Synchronization

enum KernelMappings {
    /// Retired pages: open addressing on the page address; word 0 the address (0: empty),
    /// word 1 the frame with `clearingBit` once `flush` has cleared its mapping. Every retired
    /// page holds a frame, so twice the machine's frames (capped by the windows' pages) can
    /// never fill up; the table comes from frames at boot.
    nonisolated(unsafe) static var capacity = 0
    nonisolated(unsafe) static var retired = UnsafeMutablePointer<UInt64>(bitPattern: 8)!
    nonisolated(unsafe) static var retiredCount = 0
    /// Pages that found no room in the table: still mapped, reclaimed when the address is reused.
    nonisolated(unsafe) static var overflowed = 0
    static let clearingBit: UInt64 = 1
    static let flushing = Atomic<Bool>(false)
    /// Retired pages that make a flush worth its IPIs.
    static let flushThreshold = 32

    /// Sizes and allocates the table. Boot CPU, after the frame allocator and before the heap.
    static func initialize() {
        let windowPages = Int((Layout.heapSize + UInt64(KernelStacks.slots) * Layout.kernelStackSize) / Layout.pageSize)
        var c = 1024
        while c < 2 * min(PhysicalMemory.totalFrames, windowPages) { c *= 2 }
        let bytes = UInt64(c * 16)
        guard let table = PhysicalMemory.allocateContiguous(count: Int(pageAlignUp(bytes) / Layout.pageSize)) else {
            panic("no frames for the retired-page table")
        }
        retired = UnsafeMutablePointer<UInt64>(bitPattern: UInt(table))!
        retired.initialize(repeating: 0, count: c * 2)
        capacity = c
        prebuildTables(base: Layout.heapBase, size: Layout.heapSize)
        prebuildTables(base: Layout.kernelStackBase, size: UInt64(KernelStacks.slots) * Layout.kernelStackSlotSize)
    }

    /// Where the kernel reaches `length` bytes of device memory at `physical` (a framebuffer, a
    /// register window): the identity map covers MMIO up to `PageTables.directMapEnd` (at least
    /// 4 GiB, where PCI BARs live), so the address is the physical one, checked to be mapped.
    /// Nil when the range lies beyond the identity map. The map is write-back; under QEMU that
    /// only changes speed, on hardware a framebuffer would want write-combining (PAT).
    static func deviceMemory(physical: UInt64, length: UInt64) -> UInt64? {
        guard physical >= Layout.pageSize, length > 0, physical + length <= PageTables.directMapEnd else { return nil }
        var page = physical & ~(Layout.pageSize - 1)
        while page < physical + length {
            guard PageTables.translate(page, root: PageTables.kernelRoot) == page else { return nil }
            page += Layout.hugePageSize - (page & (Layout.hugePageSize - 1))
        }
        return physical
    }

    /// Maps the page at `virtual` to a fresh frame, or takes back the frame it had if it was
    /// retired. False when no frame is left.
    static func mapPage(_ virtual: UInt64) -> Bool {
        let outcome = PageTables.lock.withLock { () -> Int in
            if let entry = find(virtual) {
                let frame = retired[entry * 2 + 1]
                if frame & clearingBit != 0 {  // a flush cleared it: put the same frame back
                    PageTables.leafEntry(root: PageTables.kernelRoot, virtual, create: false, user: false)!.pointee =
                        (frame & ~clearingBit) | PageFlags.kernelData.rawValue
                }
                remove(entry)
                return 1
            }
            if PageTables.translate(virtual, root: PageTables.kernelRoot) != nil {
                overflowed -= 1
                return 1
            }
            return 0
        }
        if outcome == 1 { return true }
        guard let frame = PhysicalMemory.allocateFrame() else { return false }
        switch AddressSpace.kernel.map(virtual, to: frame, flags: .kernelData) {
        case .mapped: return true
        case .outOfFrames:
            PhysicalMemory.freeFrame(frame)
            return false
        case .alreadyMapped:
            panic("kernel mappings: page already mapped") {
                $0.text(" address=")
                $0.hex(virtual)
            }
        }
    }

    /// Gives the page at `virtual` back: at once on one CPU, otherwise retired until `flush`.
    static func unmapPage(_ virtual: UInt64) {
        if CPUs.onlineCount <= 1 {
            guard let frame = AddressSpace.kernel.unmap(virtual) else {
                panic("kernel mappings: unmapping a page that is not mapped") {
                    $0.text(" address=")
                    $0.hex(virtual)
                }
            }
            PhysicalMemory.freeFrame(frame)
            return
        }
        PageTables.lock.withLock {
            guard let physical = PageTables.translate(virtual, root: PageTables.kernelRoot) else {
                panic("kernel mappings: unmapping a page that is not mapped") {
                    $0.text(" address=")
                    $0.hex(virtual)
                }
            }
            if !insert(virtual, frame: physical & PageTables.addressMask) { overflowed += 1 }
        }
    }

    /// Clears, shoots down and frees every page retired before the call. Precondition:
    /// interrupts on, no lock held. With `waitForOthers` false it returns at once when another
    /// CPU is flushing (the idle loop); otherwise it waits for that flush and then runs its own.
    static func flush(waitForOthers: Bool = true) {
        // The holder of `flushing` must not be preempted: others spin on it, and a preempted
        // holder (the idle task is the usual flusher, and runs only when nothing else can)
        // would never get the CPU back from them (a task would spin here behind its own CPU's
        // preempted idle task).
        let cpu = CPUs.current
        cpu.pointee.preemptDisabled += 1
        defer { cpu.pointee.preemptDisabled -= 1 }
        while flushing.exchange(true, ordering: .acquiring) {
            if !waitForOthers { return }
            cpu_pause()
        }
        let cleared = PageTables.lock.withLock { () -> Int in
            var n = 0
            for e in 0..<capacity where retired[e * 2] != 0 && retired[e * 2 + 1] & clearingBit == 0 {
                PageTables.leafEntry(root: PageTables.kernelRoot, retired[e * 2], create: false, user: false)!.pointee = 0
                retired[e * 2 + 1] |= clearingBit
                n += 1
            }
            return n
        }
        if cleared > 0 {
            TLBShootdown.flushAll()
            PageTables.lock.withLock {
                var e = 0
                while e < capacity {
                    if retired[e * 2] != 0 && retired[e * 2 + 1] & clearingBit != 0 {
                        PhysicalMemory.freeFrame(retired[e * 2 + 1] & ~clearingBit)
                        remove(e)  // may shift a later entry into e: look again
                    } else {
                        e += 1
                    }
                }
            }
        }
        flushing.store(false, ordering: .releasing)
    }

    /// Flushes when enough pages wait (or a few have waited `idleFlushMilliseconds`) and the
    /// caller may (interrupts on). Each flush interrupts every CPU, so small ones are batched.
    static func flushIfWorthIt() {
        let pending = retiredCount
        if pending == 0 || cpu_rflags() & (1 << 9) == 0 { return }
        let now = Clock.millisecondsSinceBoot
        if pending >= flushThreshold || Clock.elapsed(from: lastFlushMillisecond, to: now) >= idleFlushMilliseconds {
            lastFlushMillisecond = now
            flush(waitForOthers: false)
        }
    }
    nonisolated(unsafe) static var lastFlushMillisecond: UInt64 = 0
    static let idleFlushMilliseconds: UInt64 = 50

    /// Builds every page table of `[base, base + size)` now, so mapping pages there later never
    /// takes a table frame (and freeing them returns free frames exactly to their baseline).
    static func prebuildTables(base: UInt64, size: UInt64) {
        var address = base
        while address < base + size {
            let made = PageTables.lock.withLock {
                PageTables.leafEntry(root: PageTables.kernelRoot, address, create: true, user: false) != nil
            }
            if !made { panic("no frames for kernel page tables") }
            address += Layout.hugePageSize
        }
    }

    static var pendingPages: Int { retiredCount }

    // MARK: the table (precondition: PageTables.lock held)

    private static func slot(_ virtual: UInt64) -> Int {
        Int(truncatingIfNeeded: (virtual >> 12) &* 0x9E37_79B9) & (capacity - 1)
    }

    private static func find(_ virtual: UInt64) -> Int? {
        var e = slot(virtual)
        while retired[e * 2] != 0 {
            if retired[e * 2] == virtual { return e }
            e = (e + 1) & (capacity - 1)
        }
        return nil
    }

    private static func insert(_ virtual: UInt64, frame: UInt64) -> Bool {
        if retiredCount >= capacity - 1 { return false }
        var e = slot(virtual)
        while retired[e * 2] != 0 { e = (e + 1) & (capacity - 1) }
        retired[e * 2] = virtual
        retired[e * 2 + 1] = frame
        retiredCount += 1
        return true
    }

    /// Removes entry `e`, shifting later entries of its probe run back so lookups still find them.
    private static func remove(_ e: Int) {
        var hole = e
        var next = (e + 1) & (capacity - 1)
        while retired[next * 2] != 0 {
            let home = slot(retired[next * 2])
            // Move `next` into the hole if its home is not cyclically in (hole, next].
            let between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !between {
                retired[hole * 2] = retired[next * 2]
                retired[hole * 2 + 1] = retired[next * 2 + 1]
                hole = next
            }
            next = (next + 1) & (capacity - 1)
        }
        retired[hole * 2] = 0
        retired[hole * 2 + 1] = 0
        retiredCount -= 1
    }
}
