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
    /// already has (a new page only for the caller's object), a page's worth at a time: the
    /// counters once per refill, not once per object.
    @inlinable
    public mutating func refill(_ cache: HeapObjectCache, classIndex: Int) -> HeapAllocation {
        let first = allocateObject(ofClass: classIndex)
        guard case .allocated = first else { return first }
        let state = classStates + classIndex
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        let wanted = min(HeapObjectCache.batch &- 1, HeapObjectCache.binCapacity &- cache.count(classIndex: classIndex))
        var taken = 0
        // Whole stretches of the class's first page with room at a time: its free list, then its
        // uncarved tail; the page leaves the list once full, and the next one serves the rest.
        while taken < wanted && state.pointee.partialHead != HeapPageDescriptor.noPage {
            let page = Int(truncatingIfNeeded: state.pointee.partialHead)
            let descriptor = descriptors + page
            let pageAddress = address(ofPage: page)
            let before = taken
            while taken < wanted {
                let head = descriptor.pointee.freeListHead
                let offset: Int
                if head != HeapPageDescriptor.noOffset {
                    offset = Int(truncatingIfNeeded: head)
                    let link = UnsafeMutablePointer<UInt64>(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped[0]
                    descriptor.pointee.freeListHead = HeapPageDescriptor.sanitizedLink(link)
                } else {
                    offset = Int(truncatingIfNeeded: descriptor.pointee.bumpOffset)
                    if offset &+ objectSize > HeapCoreParameters.pageSize { break }
                    descriptor.pointee.bumpOffset = UInt16(truncatingIfNeeded: offset &+ objectSize)
                }
                cache.fill(UnsafeMutableRawPointer(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped,
                           classIndex: classIndex)
                taken &+= 1
            }
            descriptor.pointee.liveObjects &+= UInt16(truncatingIfNeeded: taken &- before)
            guard descriptor.pointee.freeListHead == HeapPageDescriptor.noOffset
                && Int(truncatingIfNeeded: descriptor.pointee.bumpOffset) &+ objectSize > HeapCoreParameters.pageSize
            else { break }
            // Full: it leaves the list of pages with room (it was that list's head).
            let next = descriptor.pointee.link
            state.pointee.partialHead = next
            if next != HeapPageDescriptor.noPage { descriptors[Int(truncatingIfNeeded: next)].previous = HeapPageDescriptor.noPage }
            descriptor.pointee.link = HeapPageDescriptor.noPage
        }
        state.pointee.liveBlocks &+= taken
        counters.allocations &+= taken
        counters.bytesInUse &+= taken &* objectSize
        if counters.bytesInUse > counters.peakBytesInUse { counters.peakBytesInUse = counters.bytesInUse }
        return first
    }

    /// Gives the `count` oldest objects of bin `classIndex` back to their pages.
    /// The counters once per drain, not once per object.
    @inlinable
    public mutating func drain(_ cache: HeapObjectCache, classIndex: Int, count: Int = HeapObjectCache.batch) {
        let state = classStates + classIndex
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        var released = 0
        cache.removeOldest(count, classIndex: classIndex) { address in
            let offsetInWindow = address &- windowBase
            returnToPage(address, page: Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift)), state: state,
                         offset: Int(truncatingIfNeeded: offsetInWindow) & (HeapCoreParameters.pageSize &- 1), objectSize: objectSize)
            released &+= 1
        }
        state.pointee.liveBlocks &-= released
        counters.frees &+= released
        counters.bytesInUse &-= released &* objectSize
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
