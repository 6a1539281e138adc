// Host tests of the CPUs' run bins (Linux's per-CPU page lists, for page runs of one to four
// pages): refilled and drained in batches under the lock, bounded, counted as free, emptied
// before an allocation fails, a second free caught, and another CPU served from what one drained.

import Testing

@testable import KernelMemoryCore

@Suite("Heap run bins")
struct HeapRunBinTests {
    /// 12 one-page runs allocated on CPU 0 (three refills of one run for the caller and three
    /// for the bin), then freed there: the bin fills with 8, the 9th free drains its 4 oldest
    /// into the core's run cache first.
    func heapWithAFullOnePageBin() -> (heap: CachedTestHeap, runs: [UnsafeMutableRawPointer]) {
        let heap = CachedTestHeap(cpus: 2)
        let runs = (0..<12).map { _ in heap.allocate(4096, on: 0)! }
        for run in runs { #expect(heap.free(run, on: 0)) }
        return (heap, runs)
    }

    @Test("binnedRunPages: runs of up to 4 pages at page alignment or less, nothing a slab serves")
    func requestsTheRunBinsServe() {
        let lookup = CachedTestHeap(cpus: 1).test.heap.lookup
        let cases: [(size: Int, alignment: Int, pages: Int)] = [
            (2049, 16, 1), (4096, 16, 1), (4097, 16, 2), (12288, 4096, 3), (16384, 16, 4), (16385, 16, 0),
            (100, 4096, 1), (0, 4096, 1), (100, 2048, 0), (2048, 16, 0), (8192, 8192, 0), (8192, 3, 0),
            (8192, 0, 0), (-1, 16, 0),
        ]
        for (size, alignment, pages) in cases {
            #expect(lookup.binnedRunPages(forSize: size, alignment: alignment) == pages, "size \(size) align \(alignment)")
        }
    }

    @Test("a refill hands one run out and keeps a batch more in the bin; the next allocations take no lock")
    func refill() {
        let heap = CachedTestHeap(cpus: 1)
        let first = heap.allocate(4096, on: 0)!
        #expect(heap.caches[0].runCount(pages: 1) == HeapObjectCache.runBatch(pages: 1) - 1)
        #expect(heap.test.heap.backing.mapCalls == HeapObjectCache.runBatch(pages: 1))
        #expect(heap.stats.blocksInUse == 1 && heap.stats.bytesInUse == 4096)
        #expect(heap.stats.binnedRunPages == 3 && heap.stats.runPages == 1 && heap.stats.cachedPages == 3)
        #expect(heap.test.stats.binnedRunPages == 0, "the core's own figures count the bin's runs as allocated")
        let coreAllocations = heap.test.heap.statistics.allocations
        let more = (0..<3).map { _ in heap.allocate(3000, on: 0)! }
        #expect(heap.test.heap.statistics.allocations == coreAllocations, "served by the bin")
        #expect(Set(more + [first]).count == 4 && heap.caches[0].runCount(pages: 1) == 0)
        #expect(more.allSatisfy { heap.test.heap.blockSize(of: $0) == 4096 }, "taken out of the bin, a run is live")
        #expect(heap.stats.allocations == 4 && heap.stats.binnedRunPages == 0)
        for run in more + [first] { #expect(heap.free(run, on: 0)) }
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0 && heap.stats.frees == 4)
        #expect(heap.caches[0].runCount(pages: 1) == 4 && heap.stats.binnedRunPages == 4)
    }

    @Test("a full bin gives its oldest half back to the core, and drainAll gives back the rest")
    func drain() {
        let (heap, runs) = heapWithAFullOnePageBin()
        #expect(heap.caches[0].runCount(pages: 1) == HeapObjectCache.runCapacity(pages: 1))
        #expect(heap.caches[0].toCore == HeapObjectCache.runBatch(pages: 1))
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0)
        #expect(heap.stats.allocations == 12 && heap.stats.frees == 12)
        // The drained 4 (the oldest: runs 0 ..< 4) sit in the core's run cache, still mapped.
        #expect(heap.test.stats.cachedPages == 4 && heap.test.stats.mappedBytes == 12 * 4096)
        #expect(heap.stats.binnedRunPages == 8 && heap.stats.cachedPages == 12 && heap.stats.runPages == 0)
        for run in runs[0..<4] { #expect(heap.test.heap.lookup.binnedRunPages(of: run) == 0) }
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.caches[0].blocks == 0 && heap.stats.binnedRunPages == 0)
        #expect(heap.test.stats.blocksInUse == 0 && heap.test.stats.runPages == 0)
        // The run cache keeps as many of the 12 runs as it has slots; the rest were unmapped.
        let kept = min(12, HeapCoreParameters.runCacheSlots)
        #expect(heap.test.stats.mappedBytes == kept * 4096)
        #expect(heap.test.heap.releaseCachedPages() == kept && heap.test.stats.mappedBytes == 0)
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("a bin holds 32 KiB of runs at most: 8, 4, 2 and 2 runs of 1 to 4 pages; longer runs are not binned")
    func binsAreBounded() {
        #expect((1...4).map { HeapObjectCache.runCapacity(pages: $0) } == [8, 4, 2, 2])
        #expect((1...4).map { HeapObjectCache.runBatch(pages: $0) } == [4, 2, 1, 1])
        let heap = CachedTestHeap(cpus: 1)
        for pages in 1...5 {
            let runs = (0..<12).map { _ in heap.allocate(pages * 4096, on: 0)! }
            for run in runs { #expect(heap.free(run, on: 0)) }
        }
        #expect((1...4).map { heap.caches[0].runCount(pages: $0) } == [8, 4, 2, 2])
        #expect(heap.caches[0].runPages == 30 && heap.stats.binnedRunPages == 30)
        #expect(heap.stats.bytesInUse == 0 && heap.stats.blocksInUse == 0 && heap.stats.frees == 60)
        let fivePages = heap.allocate(5 * 4096, on: 0)!
        #expect(heap.test.heap.lookup.binnedRunPages(of: fivePages) == 0)
        #expect(heap.free(fivePages, on: 0) && heap.caches[0].runPages == 30)
        heap.test.heap.drainAll(heap.caches[0])
        heap.test.heap.releaseCachedPages()
        #expect(heap.test.stats.mappedBytes == 0 && heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("an allocation about to fail empties the caller's run bins first, and succeeds with their frames")
    func callersRunBinsAreEmptiedBeforeFailing() {
        let heap = CachedTestHeap(cpus: 2, frameLimit: 6)
        let one = heap.allocate(4096, on: 0)!  // 4 frames: the run and 3 in the bin
        #expect(heap.caches[0].runPages == 3)
        // 2 frames for the caller's 2-page run; the bin's share finds none and stops, no failure.
        let two = heap.allocate(8192, on: 0)!
        #expect(heap.caches[0].runCount(pages: 2) == 0 && heap.test.stats.failedAllocations == 0)
        // CPU 1 has nothing to give back: a 3-page run fails there.
        #expect(heap.allocate(12288, on: 1) == nil)
        #expect(heap.stats.failedAllocations == 1)
        // On CPU 0 the bin's 3 pages are given back, and the run succeeds with their frames.
        let three = heap.allocate(12288, on: 0)
        #expect(three != nil)
        #expect(heap.caches[0].blocks == 0 && heap.stats.binnedRunPages == 0)
        #expect(heap.stats.failedAllocations == 1, "the retry that succeeded is not a failure")
        #expect(heap.stats.blocksInUse == 3)
        for run in [one, two, three!] { #expect(heap.free(run, on: 0)) }
        #expect(heap.stats.bytesInUse == 0 && heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("a second free of a binned run is a double free on every path, and changes nothing")
    func doubleFreeOfABinnedRun() {
        let (heap, runs) = heapWithAFullOnePageBin()
        let binned = runs[11]
        #expect(heap.free(binned, on: 0) == false, "through its own CPU's cache")
        #expect(heap.free(binned, on: 1) == false, "through another CPU's cache")
        #expect(heap.test.heap.free(binned) == .doubleFree, "straight to the core")
        #expect(heap.doubleFrees == 2 && heap.test.stats.doubleFrees == 3)
        #expect(heap.test.heap.blockSize(of: binned) == nil)
        #expect(heap.caches[0].runCount(pages: 1) == 8 && heap.caches[1].runCount(pages: 1) == 0)
        #expect(heap.stats.frees == 12 && heap.stats.bytesInUse == 0)
        // Handed out again (the newest first), it is live, and freeing it is fine.
        let again = heap.allocate(4096, on: 0)!
        #expect(again == binned && heap.test.heap.blockSize(of: again) == 4096)
        #expect(heap.free(again, on: 1) && heap.caches[1].runCount(pages: 1) == 1)
        #expect(heap.stats.bytesInUse == 0 && heap.doubleFrees == 2)
    }

    @Test("another CPU's refill takes the runs one CPU drained, from the core's run cache, mapping nothing")
    func anotherCPUTakesFromTheLockPath() {
        let (heap, runs) = heapWithAFullOnePageBin()
        heap.test.heap.drainAll(heap.caches[0])  // the run cache keeps the last ones drained
        let mapped = heap.test.heap.backing.mapCalls
        let taken = (0..<4).map { _ in heap.allocate(4096, on: 1)! }
        #expect(heap.test.heap.backing.mapCalls == mapped)
        #expect(Set(taken).isSubset(of: Set(runs)) && Set(taken).count == 4)
        #expect(heap.caches[1].fromCore == 3 && heap.test.stats.cachedPages == min(12, HeapCoreParameters.runCacheSlots) - 4)
        #expect(heap.stats.blocksInUse == 4 && heap.stats.bytesInUse == 4 * 4096)
        for run in taken { #expect(heap.free(run, on: 1)) }
        #expect(heap.caches[1].runCount(pages: 1) == 4 && heap.stats.bytesInUse == 0)
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }
}
