// kmalloc/kfree: KernelHeapCore (mm/core) in the kernel's 256 MiB heap window, behind a lock,
// growing by mapping frames on demand and giving them back as pages empty. The failure
// messages are the ones scenarios watch for (docs/kernel-interface.md).
import Hardware

/// Maps heap pages through `KernelMappings`, which makes unmapping safe on SMP.
struct KernelHeapBacking: HeapPageBacking {
    mutating func mapPage(at address: UInt) -> Bool { KernelMappings.mapPage(UInt64(address)) }
    mutating func unmapPage(at address: UInt) { KernelMappings.unmapPage(UInt64(address)) }
}

enum HeapFailure: Error { case outOfFrames, outOfWindow, badRequest }

enum KernelHeap {
    typealias Core = KernelHeapCore<KernelHeapBacking>
    static let lock = SpinLock(registrySlot: .heap)
    nonisolated(unsafe) static var core: Core? = nil
    nonisolated(unsafe) static var pressureReported = false

    /// Sets up the heap over its window; its metadata comes from contiguous frames.
    static func initialize() {
        let pages = Int(Layout.heapSize / Layout.pageSize)
        let bytes = UInt64(Core.metadataBytes(windowPages: pages))
        guard let metadata = PhysicalMemory.allocateContiguous(count: Int(pageAlignUp(bytes) / Layout.pageSize)) else {
            panic("no frames for the heap's metadata")
        }
        // The window's page tables were built by KernelMappings.initialize.
        core = Core(windowBase: UInt(Layout.heapBase), windowPages: pages,
                    metadata: UnsafeMutableRawPointer(bitPattern: UInt(metadata))!, backing: KernelHeapBacking())
        MemoryCounters.publish(core!.runningFigures)
    }

    /// kmalloc for callers that can cope with failure: the block, or why there is none. The
    /// failure is also printed (`expand_heap: ...` / `kmalloc: ...`), since it is an event.
    static func tryAllocate(size: Int, alignment: Int = 16) -> Result<UnsafeMutableRawPointer, HeapFailure> {
        let (result, pressure) = lock.withLock { () -> (HeapAllocation, Bool) in
            let r = core!.allocate(size: size, alignment: alignment)
            let figures = core!.runningFigures
            MemoryCounters.publish(figures)
            return (r, checkPressure(figures))
        }
        if pressure { reportPressure() }
        KernelMappings.flushIfWorthIt()
        switch result {
        case .allocated(let p): return .success(p)
        case .outOfFrames:
            Console.line("expand_heap: Failed to allocate physical page")
            return .failure(.outOfFrames)
        case .outOfWindow:
            Console.line { $0.text("kmalloc: No suitable block size="); $0.dec(size); $0.text(" align="); $0.dec(alignment) }
            return .failure(.outOfWindow)
        case .badRequest:
            return .failure(.badRequest)
        }
    }

    /// kmalloc for callers that cannot cope: panics when memory is exhausted.
    static func allocate(size: Int, alignment: Int = 16) -> UnsafeMutableRawPointer {
        switch tryAllocate(size: size, alignment: alignment) {
        case .success(let p): return p
        case .failure: panic("kmalloc: out of memory") { $0.text(" size="); $0.dec(size); $0.text(" align="); $0.dec(alignment) }
        }
    }

    /// kfree. An invalid or double free is reported with the caller's backtrace and changes nothing.
    @inline(never)
    static func free(_ pointer: UnsafeMutableRawPointer) {
        let result = lock.withLock { () -> HeapFreeResult in
            let r = core!.free(pointer)
            MemoryCounters.publish(core!.runningFigures)
            return r
        }
        KernelMappings.flushIfWorthIt()
        switch result {
        case .freed: return
        case .invalid, .doubleFree:
            Console.line { l in
                l.text("kfree: Invalid block or double free address="); l.hex(UInt64(UInt(bitPattern: pointer)))
                l.text(result == .doubleFree ? " kind=double" : " kind=invalid")
            }
            Backtrace.print(framePointer: cpu_frame_pointer())
        }
    }

    /// Gives back the empty pages the heap keeps for reuse (for exact figures, or under pressure).
    static func releaseCachedPages() {
        lock.withLock {
            core!.releaseCachedPages()
            MemoryCounters.publish(core!.runningFigures)
        }
    }

    /// Usable size of a live block, or nil.
    static func blockSize(of pointer: UnsafeRawPointer) -> Int? {
        lock.withLock { core!.blockSize(of: pointer) }
    }

    static var statistics: HeapStatistics { lock.withLock { core!.statistics } }

    /// Whether mapped bytes just crossed the pressure threshold. Precondition: `lock` held.
    private static func checkPressure(_ s: HeapRunningFigures) -> Bool {
        let high = UInt64(s.mappedBytes) * 100 >= UInt64(s.windowBytes) * Parameters.heapPressurePercent
        if high && !pressureReported { pressureReported = true; return true }
        if !high && UInt64(s.mappedBytes) * 100 < UInt64(s.windowBytes) * (Parameters.heapPressurePercent - 15) {
            pressureReported = false
        }
        return false
    }

    private static func reportPressure() {
        let s = statistics
        Console.line { l in
            l.text("mm: pressure heap.mapped="); l.dec(s.mappedBytes); l.text(" heap.window="); l.dec(s.windowBytes)
            l.text(" percent="); l.dec(s.mappedBytes * 100 / s.windowBytes)
        }
    }
}
