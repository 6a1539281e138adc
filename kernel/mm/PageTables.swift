// Four-level x86-64 page tables: map, unmap, translate and protect 4 KiB pages, and the kernel's
// own address space built at boot. Tables are reached through the identity map, so a table's
// physical address is also where the kernel reads it.
import Hardware
import Synchronization

struct PageFlags: OptionSet {
    let rawValue: UInt64
    static let present = PageFlags(rawValue: 1 << 0)
    static let writable = PageFlags(rawValue: 1 << 1)
    static let user = PageFlags(rawValue: 1 << 2)
    static let noCache = PageFlags(rawValue: 1 << 4)
    static let huge = PageFlags(rawValue: 1 << 7)
    static let global = PageFlags(rawValue: 1 << 8)
    static let noExecute = PageFlags(rawValue: 1 << 63)

    static let kernelData: PageFlags = [.present, .writable, .noExecute]
}

enum MapResult { case mapped, alreadyMapped, outOfFrames }

/// One address space: the physical address of its top-level table.
/// Precondition for every mutating call: `PageTables.lock` is not held by the caller.
struct AddressSpace {
    let root: UInt64

    static var kernel: AddressSpace { AddressSpace(root: PageTables.kernelRoot) }

    /// Maps the 4 KiB page at `virtual` to `physical`, creating tables on the way.
    func map(_ virtual: UInt64, to physical: UInt64, flags: PageFlags) -> MapResult {
        PageTables.lock.withLock {
            guard let entry = PageTables.leafEntry(root: root, virtual, create: true, user: flags.contains(.user)) else {
                return .outOfFrames
            }
            if entry.pointee & PageFlags.present.rawValue != 0 { return .alreadyMapped }
            entry.pointee = (physical & PageTables.addressMask) | flags.union(.present).rawValue
            return .mapped
        }
    }

    /// Removes the mapping of the 4 KiB page at `virtual` and invalidates it on this CPU.
    /// Returns the physical address it mapped, or nil when nothing was mapped.
    func unmap(_ virtual: UInt64) -> UInt64? {
        PageTables.lock.withLock {
            guard let entry = PageTables.leafEntry(root: root, virtual, create: false, user: false),
                entry.pointee & PageFlags.present.rawValue != 0
            else { return nil }
            let physical = entry.pointee & PageTables.addressMask
            entry.pointee = 0
            cpu_invlpg(virtual)
            return physical
        }
    }

    /// Changes the flags of a mapped 4 KiB page. False when it is not mapped.
    func protect(_ virtual: UInt64, flags: PageFlags) -> Bool {
        PageTables.lock.withLock {
            guard let entry = PageTables.leafEntry(root: root, virtual, create: false, user: false),
                entry.pointee & PageFlags.present.rawValue != 0
            else { return false }
            entry.pointee = (entry.pointee & PageTables.addressMask) | flags.union(.present).rawValue
            cpu_invlpg(virtual)
            return true
        }
    }

    /// The physical address `virtual` maps to (4 KiB or 2 MiB pages), or nil.
    func translate(_ virtual: UInt64) -> UInt64? { PageTables.translate(virtual, root: root) }
}

enum PageTables {
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let lock = SpinLock(registrySlot: .pageTables)
    /// The kernel's top-level table; the boot tables until `buildKernelSpace` runs.
    nonisolated(unsafe) static var kernelRoot: UInt64 = 0
    /// The end of the identity map of physical memory.
    nonisolated(unsafe) static var directMapEnd: UInt64 = 0

    @inline(__always)
    static func table(_ physical: UInt64) -> UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(physical & addressMask))!
    }

    @inline(__always)
    static func index(_ virtual: UInt64, level: Int) -> Int { Int((virtual >> (12 + 9 * UInt64(level))) & 511) }

    /// The level-1 entry for `virtual`, creating missing tables when `create` is set.
    /// Precondition: `lock` is held. Returns nil when a table is missing (or cannot be made) or
    /// a huge page covers the address.
    static func leafEntry(root: UInt64, _ virtual: UInt64, create: Bool, user: Bool) -> UnsafeMutablePointer<UInt64>? {
        var current = root
        for level in stride(from: 3, through: 1, by: -1) {
            let entry = table(current) + index(virtual, level: level)
            if entry.pointee & PageFlags.present.rawValue == 0 {
                guard create, let frame = PhysicalMemory.allocateFrame() else { return nil }
                cpu_zero_page(frame)
                var flags: PageFlags = [.present, .writable]
                if user {
                    flags.insert(.user)
                    UserMemory.tableFrames.wrappingAdd(1, ordering: .relaxed)
                }
                entry.pointee = frame | flags.rawValue
            } else if entry.pointee & PageFlags.huge.rawValue != 0 {
                return nil
            } else if user && entry.pointee & PageFlags.user.rawValue == 0 {
                entry.pointee |= PageFlags.user.rawValue
            }
            current = entry.pointee & addressMask
        }
        return table(current) + index(virtual, level: 0)
    }

    /// Walks the tables without locks or allocation (usable in panic context).
    static func translate(_ virtual: UInt64, root: UInt64) -> UInt64? {
        var current = root & addressMask
        for level in stride(from: 3, through: 0, by: -1) {
            let entry = table(current)[index(virtual, level: level)]
            if entry & PageFlags.present.rawValue == 0 { return nil }
            if level > 0 && entry & PageFlags.huge.rawValue != 0 {
                let pageMask = (UInt64(1) << (12 + 9 * UInt64(level))) - 1
                return (entry & addressMask & ~pageMask) | (virtual & pageMask)
            }
            current = entry & addressMask
        }
        return current | (virtual & 0xFFF)
    }

    /// Whether `virtual` is mapped in the running CPU's address space.
    static func isMapped(_ virtual: UInt64) -> Bool { translate(virtual, root: cpu_read_cr3()) != nil }

    /// Whether `virtual` is a guard page below a kernel stack (an overflow fault lands there).
    static func isStackGuard(_ virtual: UInt64) -> Bool {
        let page = virtual & ~(Layout.pageSize - 1)
        if page == boot_stack_guard_page() { return true }
        for i in 0..<UInt64(InterruptStack.count) where page == BootStacks.istGuard(i) { return true }
        if virtual >= Layout.kernelStackBase && virtual < Layout.kernelStackBase + (1 << 30) {
            return (virtual - Layout.kernelStackBase) % Layout.kernelStackSlotSize < Layout.kernelStackSlotSize
                - Layout.kernelStackSize
        }
        return false
    }

    /// Builds the kernel's address space and switches to it: the identity map (4 KiB pages
    /// below `Layout.smallPageMappedEnd`, 2 MiB pages above), with page 0 and the boot stack
    /// guard pages left unmapped.
    static func buildKernelSpace() {
        guard let root = PhysicalMemory.allocateFrame() else { panic("no frame for the kernel page tables") }
        cpu_zero_page(root)
        kernelRoot = root
        if kernel_image_end() > Layout.smallPageMappedEnd { panic("kernel image larger than the small-page map") }
        let hugeSize = Layout.hugePageSize
        directMapEnd = max(Layout.directMapMinimumEnd, (Multiboot.topOfMemory + hugeSize - 1) & ~(hugeSize - 1))
        let space = AddressSpace(root: root)
        var address = Layout.pageSize
        while address < Layout.smallPageMappedEnd {
            if !isStackGuard(address) {
                if space.map(address, to: address, flags: [.present, .writable, .global]) != .mapped {
                    panic("cannot build the kernel map")
                }
            }
            address += Layout.pageSize
        }
        while address < directMapEnd {
            lock.withLock {
                guard let pd = directoryEntry(root: root, address) else { panic("no frame for the kernel map") }
                pd.pointee = address | PageFlags([.present, .writable, .huge, .global]).rawValue
            }
            address += hugeSize
        }
        cpu_write_cr3(root)
    }

    /// The level-2 entry for `virtual`, creating the upper tables. Precondition: `lock` is held.
    private static func directoryEntry(root: UInt64, _ virtual: UInt64) -> UnsafeMutablePointer<UInt64>? {
        var current = root
        for level in stride(from: 3, through: 2, by: -1) {
            let entry = table(current) + index(virtual, level: level)
            if entry.pointee & PageFlags.present.rawValue == 0 {
                guard let frame = PhysicalMemory.allocateFrame() else { return nil }
                cpu_zero_page(frame)
                entry.pointee = frame | PageFlags([.present, .writable]).rawValue
            }
            current = entry.pointee & addressMask
        }
        return table(current) + index(virtual, level: 1)
    }
}
