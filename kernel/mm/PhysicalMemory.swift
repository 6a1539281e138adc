// The kernel's frame allocator: FrameAllocatorCore (mm/core) over the multiboot memory map,
// behind a lock. Frames are named by physical address here; the core counts frame numbers.
import Hardware

enum PhysicalMemory {
    static let lock = SpinLock()
    nonisolated(unsafe) static var frames: FrameAllocatorCore? = nil

    /// Builds the allocator: places its bitmap in the first free spot after the kernel, adds
    /// usable RAM, and reserves the first MiB, the kernel image, the modules and the bitmap.
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
            if start + bytes <= r.end && start + bytes <= Layout.directMapMinimumEnd { bitmapAddress = start; break }
        }
        if bitmapAddress == 0 { panic("no room for the frame bitmap") }

        var core = FrameAllocatorCore(bitmap: UnsafeMutablePointer(bitPattern: UInt(bitmapAddress))!, frameCount: frameCount)
        for i in 0..<Multiboot.regionCount where Multiboot.regions[i].isUsable {
            let r = Multiboot.regions[i]
            let first = pageAlignUp(r.base) / Layout.pageSize
            let last = r.end / Layout.pageSize
            if last > first { core.addFreeRange(firstFrame: Int(first), count: Int(last - first)) }
        }
        reserve(&core, from: 0, to: 1 << 20)
        reserve(&core, from: kernel_image_start(), to: kernel_image_end())
        for m in 0..<Multiboot.moduleCount { reserve(&core, from: Multiboot.modules[m].start, to: Multiboot.modules[m].end) }
        reserve(&core, from: bitmapAddress, to: bitmapAddress + bytes)
        core.resetLowWater()
        frames = core
    }

    private static func reserve(_ core: inout FrameAllocatorCore, from start: UInt64, to end: UInt64) {
        let first = start / Layout.pageSize
        let last = pageAlignUp(end) / Layout.pageSize
        if last > first { core.reserve(firstFrame: Int(first), count: Int(last - first)) }
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
            panic("frame allocator: double or invalid free") { $0.text(" address="); $0.hex(address) }
        }
    }

    static var freeFrames: Int { lock.withLock { frames!.freeFrames } }
    static var totalFrames: Int { lock.withLock { frames!.totalFrames } }
    static var lowWaterFrames: Int { lock.withLock { frames!.lowWaterFrames } }
}

@inline(__always)
func pageAlignUp(_ v: UInt64) -> UInt64 { (v + Layout.pageSize - 1) & ~(Layout.pageSize - 1) }
