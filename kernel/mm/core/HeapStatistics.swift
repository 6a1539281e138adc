// Counters of the kernel heap core, as plain integers the kernel can print as one
// machine-readable line and a debugger can read from a frozen machine.

/// A snapshot of the heap: the running counters (kept on every operation, `HeapCounters`) plus
/// the figures `KernelHeapCore.statistics` computes when asked, by a pass over the size classes
/// (empty kept slab pages, depot blocks).
public struct HeapStatistics {
    /// Size of the virtual window.
    public var windowBytes: Int
    /// Window pages currently mapped (slabs, live runs and cached pages), in bytes.
    public var mappedBytes: Int
    /// Sum of the usable sizes of live blocks; back to its old value once everything
    /// allocated since then is freed.
    public var bytesInUse: Int
    /// Live blocks.
    public var blocksInUse: Int
    /// Largest `bytesInUse` seen.
    public var peakBytesInUse: Int
    /// Mapped slab pages (including empty ones kept as a cache).
    public var slabPages: Int
    /// Pages of live page runs.
    public var runPages: Int
    /// Mapped pages holding no live block: empty slab pages plus cached runs.
    public var cachedPages: Int
    /// Free objects waiting in the depot for the next refill of an object cache (counted as
    /// free; their pages stay mapped until the depot is flushed).
    public var depotBlocks: Int
    /// Successful allocations.
    public var allocations: Int
    /// Successful frees.
    public var frees: Int
    /// Allocations that returned anything but `.allocated`.
    public var failedAllocations: Int
    /// Frees reported `.invalid`.
    public var invalidFrees: Int
    /// Frees reported `.doubleFree`.
    public var doubleFrees: Int
    /// `mapPage` calls that succeeded, ever.
    public var pagesMapped: Int
    /// `unmapPage` calls, ever.
    public var pagesUnmapped: Int

    @inlinable
    init(_ counters: HeapCounters, blocksInUse: Int, cachedPages: Int, depotBlocks: Int) {
        windowBytes = counters.windowBytes
        mappedBytes = counters.mappedBytes
        bytesInUse = counters.bytesInUse
        self.blocksInUse = blocksInUse
        peakBytesInUse = counters.peakBytesInUse
        slabPages = counters.slabPages
        runPages = counters.runPages
        self.cachedPages = cachedPages
        self.depotBlocks = depotBlocks
        allocations = counters.allocations
        frees = counters.frees
        failedAllocations = counters.failedAllocations
        invalidFrees = counters.invalidFrees
        doubleFrees = counters.doubleFrees
        pagesMapped = counters.pagesMapped
        pagesUnmapped = counters.pagesUnmapped
    }
}

/// Counters of one size class.
public struct SizeClassStatistics {
    /// Object size of the class in bytes.
    public var size: Int
    /// Objects of the class currently allocated.
    public var blocksInUse: Int
    /// Slab pages of the class currently mapped.
    public var pages: Int
    /// Of those, pages with no live object.
    public var emptyPages: Int
    /// Free objects of the class waiting in the depot (not in `blocksInUse`).
    public var depotBlocks: Int
}

/// The subset of `HeapStatistics` read without walking the size classes.
public struct HeapRunningFigures {
    public var bytesInUse: Int
    public var blocksInUse: Int
    public var peakBytesInUse: Int
    public var mappedBytes: Int
    public var windowBytes: Int
    public var failedAllocations: Int
    public var badFrees: Int

    @inlinable
    public init(
        bytesInUse: Int, blocksInUse: Int, peakBytesInUse: Int, mappedBytes: Int, windowBytes: Int,
        failedAllocations: Int, badFrees: Int
    ) {
        self.bytesInUse = bytesInUse
        self.blocksInUse = blocksInUse
        self.peakBytesInUse = peakBytesInUse
        self.mappedBytes = mappedBytes
        self.windowBytes = windowBytes
        self.failedAllocations = failedAllocations
        self.badFrees = badFrees
    }
}
