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
    /// Prints `mm: stats ...`, `sched: stats ...` and `mm: classes ...`. Takes no heap lock
    /// when the machine is panicking (the lock may be held by the failed allocation), reading the counters as they are.
    static func printLine() {
        guard KernelHeap.core != nil else { return }
        let panicking = Panic.owner.load(ordering: .relaxed) != -1
        let s = panicking ? KernelHeap.unlockedStatistics : KernelHeap.statistics
        let frames = PhysicalMemory.frames
        Console.line { l in
            l.text("mm: stats heap.bytes="); l.dec(s.bytesInUse); l.text(" heap.blocks="); l.dec(s.blocksInUse)
            l.text(" heap.peak="); l.dec(s.peakBytesInUse); l.text(" heap.mapped="); l.dec(s.mappedBytes)
            l.text(" heap.depot="); l.dec(s.depotBlocks)
            l.text(" heap.window="); l.dec(s.windowBytes); l.text(" heap.allocs="); l.dec(s.allocations)
            l.text(" heap.frees="); l.dec(s.frees); l.text(" heap.failed="); l.dec(s.failedAllocations)
            l.text(" heap.bad_frees="); l.dec(s.invalidFrees + s.doubleFrees)
            l.text(" frames.free="); l.dec(frames?.freeFrames ?? 0); l.text(" frames.total="); l.dec(frames?.totalFrames ?? 0)
            l.text(" frames.low="); l.dec(frames?.lowWaterFrames ?? 0)
        }
        Console.line { l in
            l.text("sched: stats tasks="); l.dec(Scheduler.liveTasks.load(ordering: .relaxed))
            l.text(" dead_awaiting_reap="); l.dec(Scheduler.deadAwaitingReap.load(ordering: .relaxed))
            l.text(" stacks="); l.dec(KernelStacks.outstanding.load(ordering: .relaxed))
            l.text(" stacks.cached="); l.dec(KernelStacks.cachedCount)
            l.text(" procs.live="); l.dec(Processes.live.load(ordering: .relaxed))
            l.text(" procs.zombies="); l.dec(Processes.zombies.load(ordering: .relaxed))
            l.text(" user.data_frames="); l.dec(UserMemory.dataFrames.load(ordering: .relaxed))
            l.text(" user.table_frames="); l.dec(UserMemory.tableFrames.load(ordering: .relaxed))
            l.text(" retired_pages="); l.dec(KernelMappings.pendingPages)
        }
        Console.line { l in
            l.text("mm: classes")
            for i in 0..<KernelHeap.Core.sizeClassCount {
                l.text(" size"); l.dec(HeapSizeClass.size(ofClass: i)); l.text("="); l.dec(KernelHeap.blocksInUse(ofClass: i))
            }
        }
    }
}
