// The kernel's frame allocator: FrameAllocatorCore (mm/core) over the multiboot memory map,
// behind a lock. Frames are named by physical address here; the core counts frame numbers.
import Hardware

enum PhysicalMemory {
    static let lock = SpinLock(registrySlot: .frames)
    nonisolated(unsafe) static var frames: FrameAllocatorCore? = nil

    /// Builds the allocator: places its bitmap in the first free spot after the kernel, adds
    /// usable RAM, and leaves out the first MiB, the kernel image, the modules and the bitmap.
    static func initialize() {
        let frameCount = Int(Multiboot.topOfMemory / Layout.pageSize)
        let bytes = UInt64(FrameAllocatorCore.bitmapWords(frameCount: frameCount) * 8)
        var lowest = max(kernel_image_end(), 1 << 20)
        for m in 0..<Multiboot.moduleCount { lowest = max(lowest, Multiboot.modules[m].end) }
        lowest = pageAlignUp(lowest)
        var bitmapAddress: UInt64 = 0
        for i in 0..<Multiboot.regionCount where Multiboot.regions[i].isUsable {
            let r = Multiboot.regions[i]
            let start = pageAlignUp(max(r.base, lowest))
            if start + bytes <= r.end && start + bytes <= Layout.directMapMinimumEnd {
                bitmapAddress = start
                break
            }
        }
        if bitmapAddress == 0 { panic("no room for the frame bitmap") }

        // Memory the kernel owns for good (first MiB, image, modules, this bitmap) is left out of
        // the usable set, so freeing one of its frames is reported instead of accepted.
        var reserved: InlineArray<20, (UInt64, UInt64)> = .init(repeating: (0, 0))
        var reservedCount = 0
        func keep(_ start: UInt64, _ end: UInt64) {
            if reservedCount < 20 {
                reserved[reservedCount] = (start, end)
                reservedCount += 1
            }
        }
        keep(0, 1 << 20)
        keep(kernel_image_start(), kernel_image_end())
        for m in 0..<Multiboot.moduleCount { keep(Multiboot.modules[m].start, Multiboot.modules[m].end) }
        keep(bitmapAddress, bitmapAddress + bytes)

        var core = FrameAllocatorCore(bitmap: UnsafeMutablePointer(bitPattern: UInt(bitmapAddress))!, frameCount: frameCount)
        func add(_ start: UInt64, _ end: UInt64, from index: Int) {
            if start >= end { return }
            var i = index
            while i < reservedCount {
                let (rs, re) = reserved[i]
                if rs < end && re > start {  // overlap: add what lies on either side
                    add(start, rs, from: i + 1)
                    add(re, end, from: i + 1)
                    return
                }
                i += 1
            }
            let first = pageAlignUp(start) / Layout.pageSize
            let last = end / Layout.pageSize
            if last > first { core.addFreeRange(firstFrame: Int(first), count: Int(last - first)) }
        }
        for i in 0..<Multiboot.regionCount where Multiboot.regions[i].isUsable {
            add(Multiboot.regions[i].base, Multiboot.regions[i].end, from: 0)
        }
        core.resetLowWater()
        frames = core
    }

    /// One frame's physical address, or nil when memory is exhausted. Not zeroed.
    static func allocateFrame() -> UInt64? {
        lock.withLock { frames!.allocate() }.map { UInt64($0) * Layout.pageSize }
    }

    /// `count` contiguous frames aligned to `alignment` frames, or nil.
    static func allocateContiguous(count: Int, alignment: Int = 1) -> UInt64? {
        lock.withLock { frames!.allocateContiguous(count: count, alignment: alignment) }.map { UInt64($0) * Layout.pageSize }
    }

    /// Gives a frame back. Freeing a free or unknown frame is a kernel bug: panic at once.
    static func freeFrame(_ address: UInt64) {
        let result = lock.withLock { frames!.free(Int(address / Layout.pageSize)) }
        if result != .freed {
            panic("frame allocator: double or invalid free") {
                $0.text(" address=")
                $0.hex(address)
            }
        }
    }

    static var freeFrames: Int { lock.withLock { frames!.freeFrames } }
    static var totalFrames: Int { lock.withLock { frames!.totalFrames } }
    static var lowWaterFrames: Int { lock.withLock { frames!.lowWaterFrames } }
    static func resetLowWater() { lock.withLock { frames!.resetLowWater() } }
}

@inline(__always)
func pageAlignUp(_ v: UInt64) -> UInt64 { (v + Layout.pageSize - 1) & ~(Layout.pageSize - 1) }
