// A process's address space: its own top-level table whose entry 0 is the kernel's (shared,
// supervisor-only) and whose entries 1-255 hold the process's pages, marked user.
import Hardware
import Synchronization

enum UserMemory {
    /// `Kernel.UserMemory.dataFrames` / `.tableFrames`: frames behind user pages, and frames
    /// holding user page tables (top-level tables included), outstanding.
    static let dataFrames = Atomic<Int>(0)
    static let tableFrames = Atomic<Int>(0)
    /// Free frames kept back from user `map` so the kernel can still allocate.
    static let reserveFrames = 1024
    /// Code and data are linked here; the stack sits 1 GiB above, `map` hands out memory from 4 GiB above.
    static let stackTop: UInt64 = Layout.userBase + (1 << 30)
    static let stackSize: UInt64 = 16 << 10
    static let mapBase: UInt64 = Layout.userBase + (4 << 30)
    static let mapLimit: UInt64 = Layout.userBase + (64 << 30)
}

struct UserAddressSpace {
    let root: UInt64

    /// A new space sharing the kernel's half. Nil when no frame is left.
    static func create() -> UserAddressSpace? {
        guard let root = PhysicalMemory.allocateFrame() else { return nil }
        let table = PageTables.table(root)
        cpu_zero_page(root)
        table[0] = PageTables.table(PageTables.kernelRoot)[0]
        UserMemory.tableFrames.wrappingAdd(1, ordering: .relaxed)
        return UserAddressSpace(root: root)
    }

    /// Maps a fresh zeroed frame at `virtual` for the user. False when frames run out.
    func mapZeroed(_ virtual: UInt64, writable: Bool, executable: Bool) -> Bool {
        guard let frame = PhysicalMemory.allocateFrame() else { return false }
        cpu_zero_page(frame)
        var flags: PageFlags = [.present, .user]
        if writable { flags.insert(.writable) }
        if !executable { flags.insert(.noExecute) }
        let result = AddressSpace(root: root).map(virtual, to: frame, flags: flags)  // counts new user tables
        guard result == .mapped else {
            PhysicalMemory.freeFrame(frame)
            return false
        }
        UserMemory.dataFrames.wrappingAdd(1, ordering: .relaxed)
        return true
    }

    /// Unmaps and frees the user page at `virtual`. False when it was not mapped.
    func unmapAndFree(_ virtual: UInt64) -> Bool {
        guard let frame = AddressSpace(root: root).unmap(virtual) else { return false }
        PhysicalMemory.freeFrame(frame)
        UserMemory.dataFrames.wrappingSubtract(1, ordering: .relaxed)
        return true
    }

    /// Whether `[address, address + length)` is inside the user half and mapped for the user
    /// (and writable, when asked). Used to check every pointer a system call receives.
    func isUserRange(_ address: UInt64, _ length: UInt64, writable: Bool = false) -> Bool {
        guard address >= Layout.userBase, address < Layout.userEnd, length <= Layout.userEnd - address else { return false }
        if length == 0 { return true }
        var page = address & ~0xFFF
        while page < address + length {
            guard
                let entry = PageTables.lock.withLock({
                    PageTables.leafEntry(root: root, page, create: false, user: false)?.pointee
                }),
                entry & PageFlags.present.rawValue != 0, entry & PageFlags.user.rawValue != 0,
                !writable || entry & PageFlags.writable.rawValue != 0
            else { return false }
            page += Layout.pageSize
        }
        return true
    }

    /// Frees every user page and table, then the top-level table. Precondition: no CPU runs
    /// on this space any more (the reaper calls it after the switch away).
    func destroy() {
        let top = PageTables.table(root)
        var data = 0
        var tables = 1
        for i in 1..<256 where top[i] & PageFlags.present.rawValue != 0 {
            let pdpt = PageTables.table(top[i])
            for j in 0..<512 where pdpt[j] & PageFlags.present.rawValue != 0 {
                let pd = PageTables.table(pdpt[j])
                for k in 0..<512 where pd[k] & PageFlags.present.rawValue != 0 {
                    let pt = PageTables.table(pd[k])
                    for l in 0..<512 where pt[l] & PageFlags.present.rawValue != 0 {
                        PhysicalMemory.freeFrame(pt[l] & PageTables.addressMask)
                        data += 1
                    }
                    PhysicalMemory.freeFrame(pd[k] & PageTables.addressMask)
                    tables += 1
                }
                PhysicalMemory.freeFrame(pdpt[j] & PageTables.addressMask)
                tables += 1
            }
            PhysicalMemory.freeFrame(top[i] & PageTables.addressMask)
            tables += 1
        }
        PhysicalMemory.freeFrame(root)
        UserMemory.dataFrames.wrappingSubtract(data, ordering: .relaxed)
        UserMemory.tableFrames.wrappingSubtract(tables, ordering: .relaxed)
    }
}
