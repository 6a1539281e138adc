// The heap as kmalloc and kfree compose it: each CPU's HeapObjectCache in front of one
// KernelHeapCore. A CPU's cache serves first, without the lock; the core's step, under the
// lock, when the cache cannot. The kernel (mm/KernelHeap.swift) and the host tests supply the
// caches and the lock, and both run this one composition.

/// What surrounds the core: every CPU's cache, the core's fixed tables and its lock.
public protocol CachedHeap {
    associatedtype Backing: HeapPageBacking
    /// Caches in use (one per CPU online).
    var cacheCount: Int { get }
    /// CPU `cpu`'s cache. Precondition: `cpu < cacheCount`.
    func cache(_ cpu: Int) -> HeapObjectCache
    /// The core's fixed tables, read without the lock.
    var lookup: HeapBlockLookup { get }
    /// Runs `body` on the core with the heap's lock held.
    func withLockedCore<Result>(_ body: (inout KernelHeapCore<Backing>) -> Result) -> Result
}

extension CachedHeap {
    /// kmalloc: a block from `cpu`'s cache, or the core's allocation (which refills that cache)
    /// under the lock; `locked` says which step answered. Precondition: the caller runs on
    /// `cpu` with interrupts off.
    @inline(__always)
    public func allocate(size: Int, alignment: Int, on cpu: Int) -> (result: HeapAllocation, locked: Bool) {
        let cache = cache(cpu)
        if let object = cache.allocate(size: size, alignment: alignment, lookup) { return (.allocated(object), false) }
        return (withLockedCore { $0.allocate(size: size, alignment: alignment, refilling: cache) }, true)
    }

    /// kfree: nil when `cpu`'s cache kept the block, else the core's answer under the lock (a
    /// block marked free that some cache holds is a double free). Precondition: as `allocate`.
    @inline(__always)
    public func free(_ pointer: UnsafeMutableRawPointer, on cpu: Int) -> HeapFreeResult? {
        let cache = cache(cpu)
        guard let block = cache.free(pointer, lookup) else { return nil }
        return withLockedCore { $0.free(pointer, classified: block, cache: cache, cachesHold: anyCacheHolds) }
    }

    /// Whether a CPU's cache holds `pointer` (a block marked free of class `classIndex`): a
    /// second free of it. Other CPUs' bins are read as they are; a block one of them takes
    /// meanwhile is live again.
    public func anyCacheHolds(_ pointer: UnsafeRawPointer, _ classIndex: Int) -> Bool {
        for cpu in 0..<cacheCount where cache(cpu).contains(pointer, classIndex: classIndex) { return true }
        return false
    }

    /// Every cache summed (read without synchronisation: exact when the CPUs are quiet, within
    /// a few bins otherwise).
    public var cachedTotals: HeapCacheTotals {
        var totals = HeapCacheTotals()
        for cpu in 0..<cacheCount { totals.add(cache(cpu)) }
        return totals
    }

    /// Only what the caches hold: all that `runningFigures(correctedBy:)` reads.
    public var cachedContents: HeapCacheTotals {
        var totals = HeapCacheTotals()
        for cpu in 0..<cacheCount { totals.addContents(cache(cpu)) }
        return totals
    }

    /// Objects of size class `index` in use: the core's count less those in the caches.
    /// Precondition: `core` read under the lock, or the CPUs quiet.
    public func blocksInUse(ofClass index: Int, core: KernelHeapCore<Backing>) -> Int {
        var blocks = core.sizeClassStatistics(index).blocksInUse
        for cpu in 0..<cacheCount { blocks -= cache(cpu).count(classIndex: index) }
        return blocks
    }
}
