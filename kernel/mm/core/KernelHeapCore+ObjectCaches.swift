// The heap core's side of the per-CPU object caches (HeapObjectCache): refilling an empty bin
// and draining a full one in one locked call each, and the figures with cached objects left out.

extension KernelHeapCore {
    /// The tables the lock-free paths read (`HeapBlockLookup`); fixed for the heap's lifetime.
    public var lookup: HeapBlockLookup {
        HeapBlockLookup(windowBase: windowBase, windowBytes: UInt(bitPattern: counters.windowBytes),
                        descriptors: descriptors, classStates: classStates, classForUnits: classForUnits)
    }

    /// An object of cached class `classIndex` for a caller whose bin of that class is empty,
    /// plus up to `HeapObjectCache.batch - 1` more into the bin, taken from pages the class
    /// already has (a new page only for the caller's object).
    @inlinable
    public mutating func refill(_ cache: HeapObjectCache, classIndex: Int) -> HeapAllocation {
        let first = allocateObject(ofClass: classIndex)
        guard case .allocated = first else { return first }
        let state = classStates + classIndex
        var more = 1
        while more < HeapObjectCache.batch && state.pointee.partialHead != HeapPageDescriptor.noPage
                && cache.hasRoom(classIndex: classIndex) {
            guard case .allocated(let object) = allocateObject(ofClass: classIndex) else { break }
            cache.fill(object, classIndex: classIndex)
            more &+= 1
        }
        return first
    }

    /// Gives the `count` oldest objects of bin `classIndex` back to their pages.
    @inlinable
    public mutating func drain(_ cache: HeapObjectCache, classIndex: Int, count: Int = HeapObjectCache.batch) {
        let state = classStates + classIndex
        cache.removeOldest(count, classIndex: classIndex) { address in
            let offsetInWindow = address &- windowBase
            let page = Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift))
            let offset = Int(truncatingIfNeeded: offsetInWindow) & (HeapCoreParameters.pageSize &- 1)
            _ = releaseObject(at: address, page: page, state: state, offset: offset)
        }
    }

    /// Gives every object in `cache` back (before exact figures are taken, or when its owner goes).
    public mutating func drainAll(_ cache: HeapObjectCache) {
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            drain(cache, classIndex: classIndex, count: HeapObjectCache.binCapacity)
            classIndex += 1
        }
    }

    /// Counts a double free the caller found in an object cache (the core cannot see those).
    public mutating func countDoubleFree() { counters.doubleFrees &+= 1 }

    /// The running figures as callers see them: objects sitting in object caches are free.
    @inlinable
    public func runningFigures(correctedBy caches: HeapCacheTotals) -> HeapRunningFigures {
        var figures = runningFigures
        figures.blocksInUse -= caches.blocks
        figures.bytesInUse -= caches.bytes
        return figures
    }

    /// `statistics` as callers see them: objects sitting in object caches are free, and
    /// allocations and frees count what callers asked for, whichever side served them.
    public func statistics(correctedBy caches: HeapCacheTotals) -> HeapStatistics {
        var figures = statistics
        figures.blocksInUse -= caches.blocks
        figures.bytesInUse -= caches.bytes
        figures.allocations += caches.takes - caches.fromCore
        figures.frees += caches.puts - caches.toCore
        return figures
    }
}
