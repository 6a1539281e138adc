// In-kernel tests of the page tables: map, translate, protect, unmap, and the guard pages.
import Hardware

enum PagingTests {
    /// A scratch address no other part of the kernel uses.
    static let scratch: UInt64 = 0x0000_0050_0000_0000

    static let suite = KernelTestSuite(
        name: "paging", explicitOnly: false,
        tests: [
            KernelTest(name: "map_translate_unmap") { t in
                guard let frame = PhysicalMemory.allocateFrame() else {
                    t.expect(false, "no frame")
                    return
                }
                let space = AddressSpace.kernel
                t.expect(space.map(scratch, to: frame, flags: .kernelData) == .mapped, "map failed")
                t.expect(space.map(scratch, to: frame, flags: .kernelData) == .alreadyMapped, "double map not refused")
                t.expect(space.translate(scratch + 0x123) == frame + 0x123, "translate gave the wrong address")
                UnsafeMutablePointer<UInt64>(bitPattern: UInt(scratch))!.pointee = 0x5EED_CAFE
                t.expect(UnsafePointer<UInt64>(bitPattern: UInt(frame))!.pointee == 0x5EED_CAFE, "write did not reach the frame")
                t.expect(space.unmap(scratch) == frame, "unmap returned the wrong frame")
                t.expect(space.translate(scratch) == nil, "still mapped after unmap")
                t.expect(space.unmap(scratch) == nil, "second unmap found a page")
                PhysicalMemory.freeFrame(frame)
            },
            KernelTest(name: "protect") { t in
                guard let frame = PhysicalMemory.allocateFrame() else {
                    t.expect(false, "no frame")
                    return
                }
                let space = AddressSpace.kernel
                _ = space.map(scratch, to: frame, flags: .kernelData)
                t.expect(space.protect(scratch, flags: [.present, .noExecute]), "protect of a mapped page failed")
                let entry = PageTables.lock.withLock {
                    PageTables.leafEntry(root: space.root, scratch, create: false, user: false)!.pointee
                }
                t.expect(entry & PageFlags.writable.rawValue == 0, "page still writable")
                t.expect(entry & PageFlags.noExecute.rawValue != 0, "no-execute not set")
                _ = space.unmap(scratch)
                t.expect(!space.protect(scratch, flags: .kernelData), "protect of an unmapped page succeeded")
                PhysicalMemory.freeFrame(frame)
            },
            KernelTest(name: "guard_pages") { t in
                t.expect(!PageTables.isMapped(0), "page 0 is mapped")
                t.expect(!PageTables.isMapped(boot_stack_guard_page()), "boot stack guard is mapped")
                t.expect(PageTables.isMapped(boot_stack_bottom()), "boot stack is not mapped")
                for i in 0..<UInt64(InterruptStack.count) {
                    t.expect(!PageTables.isMapped(BootStacks.istGuard(i)), "IST guard is mapped")
                    t.expect(PageTables.isMapped(BootStacks.istTop(i) - 8), "IST stack is not mapped")
                }
                t.expect(PageTables.isMapped(0xFEE0_0000), "local APIC page not in the identity map")
            },
            KernelTest(name: "tables_grow_on_demand") { t in
                let before = PhysicalMemory.freeFrames
                guard let frame = PhysicalMemory.allocateFrame() else {
                    t.expect(false, "no frame")
                    return
                }
                // Far from everything else: needs a new directory and table.
                let far = scratch + (3 << 30)
                t.expect(AddressSpace.kernel.map(far, to: frame, flags: .kernelData) == .mapped, "map failed")
                t.expect(PhysicalMemory.freeFrames <= before - 2, "no table frames were allocated")
                _ = AddressSpace.kernel.unmap(far)
                PhysicalMemory.freeFrame(frame)
            },
        ])
}
