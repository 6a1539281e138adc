// Memory figures: one machine-readable line on request (`mm: stats ...`), and flat counters in
// a named global that a debugger can read from a frozen machine without calling anything.
import Synchronization

/// `Kernel.memoryCounters`: the figures below, in this order, updated under the heap lock
/// (objects in the CPUs' caches counted as free, as of the last locked heap call).
/// 0 heap bytes in use, 1 heap blocks in use, 2 heap peak bytes, 3 heap mapped bytes,
/// 4 heap failed allocations, 5 heap invalid or double frees.
nonisolated(unsafe) var memoryCounters: InlineArray<8, UInt64> = .init(repeating: 0)

enum MemoryCounters {
    /// Precondition: `KernelHeap.lock` is held.
    static func publish(_ s: HeapRunningFigures) {
        memoryCounters[0] = UInt64(s.bytesInUse)
        memoryCounters[1] = UInt64(s.blocksInUse)
        memoryCounters[2] = UInt64(s.peakBytesInUse)
        memoryCounters[3] = UInt64(s.mappedBytes)
        memoryCounters[4] = UInt64(s.failedAllocations)
        memoryCounters[5] = UInt64(s.badFrees)
    }
}

enum MemoryStatistics {
    /// Prints `mm: stats ...`. Takes no heap lock when the machine is panicking (the lock may
    /// be held by the failed allocation), reading the counters as they are.
    /// Keys: docs/kernel-interface.md, "Figure lines".
    static func printStatsLine() {
        guard KernelHeap.core != nil else { return }
        let panicking = Panic.owner.load(ordering: .relaxed) != -1
        let s = panicking ? KernelHeap.unlockedStatistics : KernelHeap.statistics
        let frames = PhysicalMemory.frames
        Console.record("mm: stats") { l in
            l.field("heap.bytes", s.bytesInUse)
            l.field("heap.blocks", s.blocksInUse)
            l.field("heap.peak", s.peakBytesInUse)
            l.field("heap.mapped", s.mappedBytes)
            l.field("heap.depot", s.depotBlocks)
            l.field("heap.window", s.windowBytes)
            l.field("heap.allocs", s.allocations)
            l.field("heap.frees", s.frees)
            l.field("heap.failed", s.failedAllocations)
            l.field("heap.bad_frees", s.invalidFrees + s.doubleFrees)
            l.field("frames.free", frames?.freeFrames ?? 0)
            l.field("frames.total", frames?.totalFrames ?? 0)
            l.field("frames.low", frames?.lowWaterFrames ?? 0)
        }
    }

    /// Prints `mm: classes size<n>=<blocks in use> ...`, one field per heap size class.
    /// Keys: docs/kernel-interface.md, "Figure lines".
    static func printClassesLine() {
        guard KernelHeap.core != nil else { return }
        Console.record("mm: classes") { l in
            for i in 0..<KernelHeap.Core.sizeClassCount {
                l.field("size", index: HeapSizeClass.size(ofClass: i), KernelHeap.blocksInUse(ofClass: i))
            }
        }
    }
}
