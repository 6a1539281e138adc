// The kernel's address-space layout: everything Swift can point to lives in the lower half,
// supervisor-only, in PML4 entry 0, which every address space shares (see kernel/README.md).

enum Layout {
    static let pageSize: UInt64 = 4096
    static let hugePageSize: UInt64 = 2 << 20

    /// Physical memory is identity-mapped from 4 KiB up to at least 4 GiB (so MMIO such as the
    /// local APIC is reachable) or the top of RAM, whichever is higher. Page 0 stays unmapped to
    /// catch null pointers. The kernel image is linked at 1 MiB inside this map.
    static let directMapMinimumEnd: UInt64 = 4 << 30
    /// The first 8 MiB are mapped with 4 KiB pages so guard pages inside the image can be unmapped.
    static let smallPageMappedEnd: UInt64 = 8 << 20

    /// The kernel heap's window: it backs every Swift allocation, so it must stay below bit 63
    /// (the Swift runtime treats pointers with bit 63 set as immortal and never frees them).
    static let heapBase: UInt64 = 0x0000_0040_0000_0000  // 256 GiB
    static let heapSize: UInt64 = 256 << 20

    /// Kernel stacks: one slot per stack, the stack at the top of its slot and an unmapped guard below.
    static let kernelStackBase: UInt64 = 0x0000_0048_0000_0000  // 288 GiB
    static let kernelStackSlotSize: UInt64 = 64 << 10
    static let kernelStackSize: UInt64 = 32 << 10

    /// PML4 entries 1 to 255 belong to user processes; entry 0 is the kernel's.
    static let userBase: UInt64 = 0x0000_0080_0000_0000  // 512 GiB
    static let userEnd: UInt64 = 0x0000_8000_0000_0000
    static let kernelHalfEnd: UInt64 = userBase
}
