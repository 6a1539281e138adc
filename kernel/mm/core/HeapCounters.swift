// The kernel heap core's running counters, updated on every operation; `HeapStatistics` is
// derived from them (and from the per-class states) only when someone asks.

/// Raw counters. Figures that would cost a store on every allocation and free (blocks in use,
/// cached pages) are derived when statistics are read instead.
@usableFromInline
struct HeapCounters {
    @usableFromInline let windowBytes: Int
    @usableFromInline var mappedBytes = 0
    @usableFromInline var bytesInUse = 0
    @usableFromInline var peakBytesInUse = 0
    @usableFromInline var slabPages = 0
    @usableFromInline var runPages = 0
    /// Pages of freed runs kept in the run cache.
    @usableFromInline var cachedRunPages = 0
    @usableFromInline var allocations = 0
    @usableFromInline var frees = 0
    @usableFromInline var failedAllocations = 0
    @usableFromInline var invalidFrees = 0
    @usableFromInline var doubleFrees = 0
    @usableFromInline var pagesMapped = 0
    @usableFromInline var pagesUnmapped = 0

    @inlinable
    init(windowBytes: Int) { self.windowBytes = windowBytes }
}
