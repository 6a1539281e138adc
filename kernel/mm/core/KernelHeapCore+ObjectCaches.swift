// The heap core's side of the per-CPU object caches (HeapObjectCache): refilling an empty bin
// and draining a full one in one locked call each, through the depot (HeapDepot) when it can,
// and the figures with cached objects left out.

extension KernelHeapCore {
    /// The tables the lock-free paths read (`HeapBlockLookup`); fixed for the heap's lifetime.
    public var lookup: HeapBlockLookup {
        HeapBlockLookup(
            windowBase: windowBase, windowBytes: UInt(bitPattern: counters.windowBytes),
            descriptors: descriptors, classStates: classStates, classForUnits: classForUnits)
    }

    /// kmalloc's locked step, after `HeapObjectCache.allocate` returned nil: a refill of the
    /// bin that was empty, or an allocation the caches do not serve. When frames or window run
    /// out, the caller's cache is emptied into the core and the allocation tried once more (the
    /// core then gives back every page that only cached objects kept); other callers' caches
    /// are theirs to empty.
    @inlinable
    public mutating func allocate(size: Int, alignment: Int, refilling cache: HeapObjectCache) -> HeapAllocation {
        let first = allocateOnce(size: size, alignment: alignment, refilling: cache)
        switch first {
        case .outOfFrames, .outOfWindow:
            guard cache.blocks != 0 else { return first }
            counters.failedAllocations &-= 1  // one call, one outcome: the second try's
            drainAll(cache)
            return allocateOnce(size: size, alignment: alignment, refilling: cache)
        default:
            return first
        }
    }

    @inlinable
    mutating func allocateOnce(size: Int, alignment: Int, refilling cache: HeapObjectCache) -> HeapAllocation {
        let classIndex = lookup.cachedClass(forSize: size, alignment: alignment)
        return classIndex < 0 ? allocate(size: size, alignment: alignment) : refill(cache, classIndex: classIndex)
    }

    /// kfree's locked step, after `HeapObjectCache.free` returned `block` for `pointer`: half
    /// of a full bin drained to make room, a double free when the block looks free and some
    /// cache holds it (`cachesHold`, asked of every CPU's cache), else the core's own free.
    @inlinable
    public mutating func free(
        _ pointer: UnsafeMutableRawPointer, classified block: CachedBlock, cache: HeapObjectCache,
        cachesHold: (UnsafeRawPointer, Int) -> Bool
    ) -> HeapFreeResult {
        switch block {
        case .cacheable(let classIndex):
            drain(cache, classIndex: classIndex)
            _ = cache.put(pointer, classIndex: classIndex)
            return .freed(size: HeapSizeClass.size(ofClass: classIndex))
        case .markedFree(let classIndex) where cachesHold(pointer, classIndex):
            counters.doubleFrees &+= 1
            return .doubleFree
        case .markedFree, .other:
            return free(pointer)
        }
    }

    /// An object of cached class `classIndex` for a caller whose bin of that class is empty,
    /// plus up to `HeapObjectCache.batch(ofClass:) - 1` more into the bin: from the depot when it holds
    /// any of the class, else from pages the class already has (a new page only for the
    /// caller's object), a page's worth at a time. The counters once per refill, not once per object.
    @inlinable
    public mutating func refill(_ cache: HeapObjectCache, classIndex: Int) -> HeapAllocation {
        let state = classStates + classIndex
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        let wanted = min(
            cache.batch(classIndex: classIndex) &- 1,
            cache.capacity(classIndex: classIndex) &- cache.count(classIndex: classIndex))
        if depot.count(classIndex: classIndex) != 0 {
            return .allocated(
                refillFromDepot(cache, classIndex: classIndex, wanted: wanted, state: state, objectSize: objectSize))
        }
        let first = allocateObject(ofClass: classIndex)
        guard case .allocated = first else { return first }
        var filler = cache.startFill(classIndex: classIndex)
        var taken = 0
        // Whole stretches of the class's first page with room at a time: its free list, then its
        // uncarved tail; the page leaves the list once full, and the next one serves the rest.
        // The page's list head and carve offset stay in registers until the stretch ends.
        while taken < wanted && state.pointee.partialHead != HeapPageDescriptor.noPage {
            let page = Int(truncatingIfNeeded: state.pointee.partialHead)
            let descriptor = descriptors + page
            let pageAddress = address(ofPage: page)
            let before = taken
            var head = descriptor.pointee.freeListHead
            var bump = Int(truncatingIfNeeded: descriptor.pointee.bumpOffset)
            while taken < wanted,
                let offset = Self.nextObject(head: &head, bump: &bump, pageAddress: pageAddress, objectSize: objectSize)
            {
                filler.add(UnsafeMutableRawPointer(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped)
                taken &+= 1
            }
            descriptor.pointee.freeListHead = head
            descriptor.pointee.bumpOffset = UInt16(truncatingIfNeeded: bump)
            descriptor.pointee.liveObjects &+= UInt16(truncatingIfNeeded: taken &- before)
            guard HeapPageDescriptor.isFull(freeListHead: head, bumpOffset: bump, objectSize: objectSize) else { break }
            leavePartialList(descriptor, state: state)
        }
        cache.finishFill(filler, added: taken)
        recordRefill(taken, state: state, objectSize: objectSize)
        return first
    }

    /// `refill`'s step when the depot holds objects of the class: its newest for the caller,
    /// up to `wanted` more into the bin. Pointers are copied; of the objects, only the
    /// caller's is touched (its free marker cleared), and no page.
    @inlinable
    mutating func refillFromDepot(
        _ cache: HeapObjectCache, classIndex: Int, wanted: Int, state: UnsafeMutablePointer<HeapSizeClassState>, objectSize: Int
    ) -> UnsafeMutableRawPointer {
        let stack = depot.stack(classIndex)
        let held = Int(bitPattern: stack[0])
        let moved = min(wanted, held &- 1)
        cache.restock(from: stack + (held &- moved), count: moved, classIndex: classIndex)
        stack[0] = UInt(bitPattern: held &- moved &- 1)
        let object = UnsafeMutableRawPointer(bitPattern: stack[held]).unsafelyUnwrapped
        object.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)  // no longer marked free
        recordRefill(moved &+ 1, state: state, objectSize: objectSize)
        return object
    }

    /// Counts `count` objects of a class handed to a CPU's cache (or its caller) by a refill.
    @inlinable @inline(__always)
    mutating func recordRefill(_ count: Int, state: UnsafeMutablePointer<HeapSizeClassState>, objectSize: Int) {
        state.pointee.liveBlocks &+= count
        counters.allocations &+= count
        counters.bytesInUse &+= count &* objectSize
        if counters.bytesInUse > counters.peakBytesInUse { counters.peakBytesInUse = counters.bytesInUse }
    }

    /// Gives the `count` oldest objects of bin `classIndex` back (a batch, half the bin, when
    /// nil): into the depot while it has room for the class, the rest to their pages. The
    /// counters once per drain, not once per object.
    @inlinable
    public mutating func drain(_ cache: HeapObjectCache, classIndex: Int, count: Int? = nil) {
        let count = count ?? cache.batch(classIndex: classIndex)
        let state = classStates + classIndex
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        let stack = depot.stack(classIndex)
        var held = Int(bitPattern: stack[0])
        let room = HeapDepot.capacity(objectSize: objectSize) &- held
        var released = 0
        cache.removeOldest(count, classIndex: classIndex) { address in
            if released < room {
                held &+= 1
                stack[held] = address
            } else {
                returnToPage(address, state: state, objectSize: objectSize)
            }
            released &+= 1
        }
        stack[0] = UInt(bitPattern: held)
        state.pointee.liveBlocks &-= released
        counters.frees &+= released
        counters.bytesInUse &-= released &* objectSize
    }

    /// Puts every object in the depot back on its page; pages that empty are kept or released
    /// as on any free. The figures counted them as free already.
    @usableFromInline
    mutating func flushDepot() {
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            let state = classStates + classIndex
            let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
            let stack = depot.stack(classIndex)
            var slot = Int(bitPattern: stack[0])
            while slot > 0 {
                returnToPage(stack[slot], state: state, objectSize: objectSize)
                slot -= 1
            }
            stack[0] = 0
            classIndex += 1
        }
    }

    /// `blockSize(of:)` for a caller with object caches: nil also for a block marked free that
    /// one of them holds (`cachesHold`, asked of every CPU's cache), which its page counts as live.
    public func blockSize(of pointer: UnsafeRawPointer, cachesHold: (UnsafeRawPointer, Int) -> Bool) -> Int? {
        if case .markedFree(let classIndex) = lookup.classify(pointer), cachesHold(pointer, classIndex) { return nil }
        return blockSize(of: pointer)
    }

    /// Gives every object in `cache` back (before exact figures are taken, or when its owner goes).
    public mutating func drainAll(_ cache: HeapObjectCache) {
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            drain(cache, classIndex: classIndex, count: HeapObjectCache.binCapacity)
            classIndex += 1
        }
    }

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
