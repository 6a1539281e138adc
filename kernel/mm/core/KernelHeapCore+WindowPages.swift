// The kernel heap's window: claiming stretches of free virtual pages and mapping them through the
// backing, giving them back, and dropping cached pages when frames or window space run short.

/// Result of claiming window pages.
@usableFromInline
enum WindowClaim {
    /// The pages starting at this index are claimed and mapped.
    case claimed(Int)
    case outOfFrames
    case outOfWindow
}

extension KernelHeapCore {
    /// Claims and maps `count` free window pages whose first address is a multiple of
    /// `alignmentPages` pages. On failure, gives every cached page back and tries once more.
    @usableFromInline
    mutating func claimWindowPages(count: Int, alignmentPages: Int) -> WindowClaim {
        let first = claimWindowPagesOnce(count: count, alignmentPages: alignmentPages)
        guard case .claimed = first else {
            if releaseCachedPages() == 0 { return first }
            return claimWindowPagesOnce(count: count, alignmentPages: alignmentPages)
        }
        return first
    }

    @usableFromInline
    mutating func claimWindowPagesOnce(count: Int, alignmentPages: Int) -> WindowClaim {
        let basePage = Int(truncatingIfNeeded: windowBase >> UInt(HeapCoreParameters.pageShift))
        let phase = (alignmentPages - basePage & (alignmentPages - 1)) & (alignmentPages - 1)
        guard
            let first = BitmapSearch.firstRun(
                of: false, count: count, alignment: alignmentPages, phase: phase,
                in: usedPages, from: firstPossiblyFreePage, limit: windowPages)
        else { return .outOfWindow }
        var mapped = 0
        while mapped < count {
            if !backing.mapPage(at: address(ofPage: first + mapped)) {
                while mapped > 0 {
                    mapped -= 1
                    backing.unmapPage(at: address(ofPage: first + mapped))
                }
                return .outOfFrames
            }
            mapped += 1
        }
        BitmapSearch.fill(true, in: usedPages, start: first, count: count)
        if first == firstPossiblyFreePage { firstPossiblyFreePage = first + count }
        counters.pagesMapped += count
        counters.mappedBytes += count << HeapCoreParameters.pageShift
        return .claimed(first)
    }

    /// Unmaps `count` claimed pages starting at `first` and returns them to the window.
    @usableFromInline
    mutating func releaseWindowPages(first: Int, count: Int) {
        var page = first
        while page < first + count {
            backing.unmapPage(at: address(ofPage: page))
            descriptors[page] = .unused
            page += 1
        }
        BitmapSearch.fill(false, in: usedPages, start: first, count: count)
        firstPossiblyFreePage = min(firstPossiblyFreePage, first)
        counters.pagesUnmapped += count
        counters.mappedBytes -= count << HeapCoreParameters.pageShift
    }

    /// Gives back every mapped page that holds no live block (empty slab pages, cached runs,
    /// and pages that only the depot's objects kept: the depot is flushed first). The heap
    /// calls this itself before reporting a failure; the kernel may call it under memory
    /// pressure. Returns the number of pages unmapped.
    @discardableResult
    public mutating func releaseCachedPages() -> Int {
        let unmappedBefore = counters.pagesUnmapped
        flushDepot()
        var slot = 0
        while slot < HeapCoreParameters.runCacheSlots {
            evictCachedRun(slot: slot)
            slot += 1
        }
        var classIndex = 0
        while classIndex < HeapSizeClass.count {
            let state = classStates + classIndex
            if let page = emptyKeptPage(state) { releaseSlabPage(page, state: state) }
            classIndex += 1
        }
        return counters.pagesUnmapped - unmappedBefore
    }
}
