// The heap core's side of the CPUs' run bins (HeapObjectCache+RunBins.swift): refilling an
// empty bin and draining half of a full one, each in one locked call, as Linux refills and
// drains its per-CPU page lists in batches under the zone lock.

extension KernelHeapCore {
    /// kmalloc's locked step for a run of `pages` pages whose run bin was empty: a run for the
    /// caller, plus up to `runBatch(pages:) - 1` more into the bin, each from the run cache or
    /// freshly claimed pages. Only the caller's run may release cached pages or count as a
    /// failure; the bin's share stops at the first run that cannot be had at once.
    @inlinable
    public mutating func refillRuns(_ cache: HeapObjectCache, pages: Int) -> HeapAllocation {
        let pageShift = HeapCoreParameters.pageShift
        let first = allocateRun(bytes: pages &<< pageShift, alignment: HeapCoreParameters.pageSize)
        guard case .allocated = first else { return first }
        let wanted = min(cache.runBatch(pages: pages) &- 1, cache.runCapacity(pages: pages) &- cache.runCount(pages: pages))
        var taken = 0
        while taken < wanted {
            var head = takeCachedRun(pages: pages, alignmentPages: 1)
            if head < 0 {
                guard case .claimed(let claimed) = claimWindowPagesOnce(count: pages, alignmentPages: 1) else { break }
                head = claimed
                var page = head &+ 1
                while page < head &+ pages {
                    descriptors[page].kind = .runInterior
                    page &+= 1
                }
            }
            descriptors[head].kind = .binnedRunHead
            descriptors[head].link = UInt32(truncatingIfNeeded: pages)
            cache.addRunFromCore(address(ofPage: head), pages: pages)
            taken &+= 1
        }
        counters.runPages &+= taken &* pages
        counters.allocations &+= taken
        counters.bytesInUse &+= taken &* pages &<< pageShift
        if counters.bytesInUse > counters.peakBytesInUse { counters.peakBytesInUse = counters.bytesInUse }
        return first
    }

    /// Gives the `count` oldest runs of the bin of `pages` back (a batch, half the bin, when
    /// nil), each as the core frees a run: into the run cache or unmapped.
    @inlinable
    public mutating func drainRuns(_ cache: HeapObjectCache, pages: Int, count: Int? = nil) {
        let count = count ?? cache.runBatch(pages: pages)
        cache.removeOldestRuns(count, pages: pages) { address in
            let page = Int(truncatingIfNeeded: (address &- windowBase) &>> UInt(HeapCoreParameters.pageShift))
            descriptors[page].kind = .runHead
            _ = freeRun(at: address, page: page)
        }
    }

    /// Gives every run in `cache`'s run bins back.
    @usableFromInline
    mutating func drainAllRuns(_ cache: HeapObjectCache) {
        var pages = 1
        while pages <= HeapObjectCache.largestRunPages {
            drainRuns(cache, pages: pages, count: cache.runCapacity(pages: pages))
            pages += 1
        }
    }
}
