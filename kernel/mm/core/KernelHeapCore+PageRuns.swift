// The kernel heap's large blocks: runs of whole pages, aligned as asked, and a small cache of
// freed runs that stay mapped so that repeated large allocations do not remap every time.

extension KernelHeapCore {
    /// Allocates a run of whole pages holding `bytes` bytes, starting at a multiple of
    /// `alignment`. Preconditions: 0 < bytes <= window size; alignment a power of two.
    @inlinable
    mutating func allocateRun(bytes: Int, alignment: Int) -> HeapAllocation {
        let pageShift = HeapCoreParameters.pageShift
        let pages = (bytes &+ HeapCoreParameters.pageSize &- 1) &>> pageShift
        let alignmentPages = max(1, alignment &>> pageShift)
        var first = takeCachedRun(pages: pages, alignmentPages: alignmentPages)
        if first < 0 {
            switch claimWindowPages(count: pages, alignmentPages: alignmentPages) {
            case .claimed(let page): first = page
            case .outOfFrames:
                counters.failedAllocations &+= 1
                return .outOfFrames
            case .outOfWindow:
                counters.failedAllocations &+= 1
                return .outOfWindow
            }
            var page = first &+ 1
            while page < first &+ pages {
                descriptors[page].kind = .runInterior
                page &+= 1
            }
        }
        descriptors[first].kind = .runHead
        descriptors[first].link = UInt32(truncatingIfNeeded: pages)
        counters.runPages &+= pages
        recordAllocation(bytes: pages &<< pageShift)
        return .allocated(UnsafeMutableRawPointer(bitPattern: address(ofPage: first)).unsafelyUnwrapped)
    }

    /// Frees the block at `address` in a page that is not a slab page: valid only for the first
    /// byte of a live run.
    @inlinable
    mutating func freeRun(at address: UInt, page: Int) -> HeapFreeResult {
        let atPageStart = address & UInt(HeapCoreParameters.pageSize &- 1) == 0
        switch descriptors[page].kind {
        case .runHead where atPageStart:
            break
        case .cachedRunHead where atPageStart:
            counters.doubleFrees &+= 1
            return .doubleFree
        default:
            counters.invalidFrees &+= 1
            return .invalid
        }
        let pages = Int(truncatingIfNeeded: descriptors[page].link)
        let bytes = pages &<< HeapCoreParameters.pageShift
        counters.runPages &-= pages
        recordFree(bytes: bytes)
        if !cacheFreedRun(first: page, pages: pages) {
            releaseWindowPages(first: page, count: pages)
        }
        return .freed(size: bytes)
    }

    /// First page of a cached run of exactly `pages` pages whose address is a multiple of
    /// `alignmentPages` pages, taken out of the cache; -1 if there is none.
    @inlinable
    mutating func takeCachedRun(pages: Int, alignmentPages: Int) -> Int {
        guard pages <= HeapCoreParameters.runCacheLargestRunPages, counters.cachedRunPages != 0 else { return -1 }
        let basePage = Int(truncatingIfNeeded: windowBase &>> UInt(HeapCoreParameters.pageShift))
        var slot = 0
        while slot < HeapCoreParameters.runCacheSlots {
            let entry = runCache[slot]
            let first = Int(truncatingIfNeeded: entry.firstPage)
            if Int(truncatingIfNeeded: entry.pages) == pages && (basePage &+ first) & (alignmentPages &- 1) == 0 {
                runCache[slot] = .empty
                counters.cachedRunPages &-= pages
                return first
            }
            slot &+= 1
        }
        return -1
    }

    /// Keeps a freed run mapped in the run cache if it is small enough. With no empty slot, the
    /// slots are reused round-robin (the run there is unmapped), so runs of a size no longer
    /// asked for cannot hold the cache forever.
    @inlinable
    mutating func cacheFreedRun(first: Int, pages: Int) -> Bool {
        guard pages <= HeapCoreParameters.runCacheLargestRunPages else { return false }
        var slot = 0
        while slot < HeapCoreParameters.runCacheSlots && runCache[slot].pages != 0 { slot &+= 1 }
        if slot == HeapCoreParameters.runCacheSlots {
            slot = runCacheVictim
            runCacheVictim = (runCacheVictim &+ 1) % HeapCoreParameters.runCacheSlots
            evictCachedRun(slot: slot)
        }
        runCache[slot] = HeapRunCacheSlot(
            firstPage: UInt32(truncatingIfNeeded: first), pages: UInt32(truncatingIfNeeded: pages))
        descriptors[first].kind = .cachedRunHead
        counters.cachedRunPages &+= pages
        if junkFill {
            UnsafeMutableRawPointer(bitPattern: address(ofPage: first)).unsafelyUnwrapped.initializeMemory(
                as: UInt8.self, repeating: HeapCoreParameters.junkByte,
                count: pages &<< HeapCoreParameters.pageShift)
        }
        return true
    }

    /// Unmaps the run in cache slot `slot` (if any) and empties the slot.
    @usableFromInline
    mutating func evictCachedRun(slot: Int) {
        let entry = runCache[slot]
        guard entry.pages != 0 else { return }
        runCache[slot] = .empty
        counters.cachedRunPages -= Int(entry.pages)
        releaseWindowPages(first: Int(entry.firstPage), count: Int(entry.pages))
    }
}
