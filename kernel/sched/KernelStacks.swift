// Kernel stacks: 32 KiB each at the top of a 64 KiB slot in the stack window, with unmapped
// guard pages below, so an overflow faults instead of corrupting the next stack.
import Synchronization

enum KernelStacks {
    static let slots = 4096
    static let lock = SpinLock(registrySlot: .kernelStacks)
    /// One bit per slot: set while the slot is in use.
    nonisolated(unsafe) static var used: InlineArray<64, UInt64> = .init(repeating: 0)
    /// `Kernel.KernelStacks.outstanding`: stacks allocated and not yet freed.
    static let outstanding = Atomic<Int>(0)
    /// Freed stacks still mapped, ready for reuse (slot numbers), at most `Parameters.kernelStackCache`.
    nonisolated(unsafe) static var cached: InlineArray<32, Int> = .init(repeating: -1)
    nonisolated(unsafe) static var cachedCount = 0

    static func top(ofSlot slot: Int) -> UInt64 {
        Layout.kernelStackBase + UInt64(slot + 1) * Layout.kernelStackSlotSize
    }

    /// A mapped stack: its slot and the address just above it. Nil when slots or frames run out.
    static func allocate() -> (slot: Int, top: UInt64)? {
        let reused = lock.withLock { () -> Int? in
            guard cachedCount > 0 else { return nil }
            cachedCount -= 1
            return cached[cachedCount]
        }
        if let reused {
            outstanding.wrappingAdd(1, ordering: .relaxed)
            return (reused, top(ofSlot: reused))
        }
        let slot = lock.withLock { () -> Int? in
            for w in 0..<(slots / 64) where used[w] != ~0 {
                let bit = (~used[w]).trailingZeroBitCount
                used[w] |= 1 << UInt64(bit)
                return w * 64 + bit
            }
            return nil
        }
        guard let slot else { return nil }
        let top = top(ofSlot: slot)
        let pages = Int(Layout.kernelStackSize / Layout.pageSize)
        for p in 0..<pages {
            if !KernelMappings.mapPage(top - UInt64(p + 1) * Layout.pageSize) {
                for q in 0..<p { KernelMappings.unmapPage(top - UInt64(q + 1) * Layout.pageSize) }
                release(slot)
                return nil
            }
        }
        outstanding.wrappingAdd(1, ordering: .relaxed)
        return (slot, top)
    }

    /// Gives a stack back: into the cache while it has room, else unmapped.
    /// Precondition: nothing runs on it any more.
    static func free(slot: Int) {
        outstanding.wrappingSubtract(1, ordering: .relaxed)
        let kept = lock.withLock { () -> Bool in
            guard cachedCount < Parameters.kernelStackCache else { return false }
            cached[cachedCount] = slot
            cachedCount += 1
            return true
        }
        if !kept { unmap(slot: slot) }
    }

    /// Unmaps every cached stack (for exact memory figures, and under memory pressure).
    static func trimCache() {
        while let slot = lock.withLock({ () -> Int? in
            guard cachedCount > 0 else { return nil }
            cachedCount -= 1
            return cached[cachedCount]
        }) { unmap(slot: slot) }
    }

    private static func unmap(slot: Int) {
        let top = top(ofSlot: slot)
        for p in 0..<Int(Layout.kernelStackSize / Layout.pageSize) {
            KernelMappings.unmapPage(top - UInt64(p + 1) * Layout.pageSize)
        }
        release(slot)
    }

    private static func release(_ slot: Int) {
        lock.withLock { used[slot / 64] &= ~(1 << UInt64(slot % 64)) }
    }
}
