// Host tests of the heap core's depot: what the object caches drain waits there for the next
// refill of any CPU's bin, counted as free, recognised on a second free, bounded per class, and
// flushed back to the pages when cached pages are released or frames run out.

import Testing

@testable import KernelMemoryCore

@Suite("Heap depot")
struct HeapDepotTests {
    /// 48 blocks of 64 bytes from CPU 0's refills (three of 16, one page), freed on CPU 0: the
    /// bin takes 32, and the 33rd free drains its 16 oldest (blocks 0 ..< 16) into the depot.
    func heapWithSixteenInTheDepot() -> (heap: CachedTestHeap, blocks: [UnsafeMutableRawPointer]) {
        let heap = CachedTestHeap(cpus: 2)
        let blocks = (0..<48).map { _ in heap.allocate(64, on: 0)! }
        for block in blocks { #expect(heap.free(block, on: 0)) }
        return (heap, blocks)
    }

    @Test("a drain goes into the depot, counted as free, and keeps its page mapped")
    func drainFillsTheDepot() {
        let (heap, _) = heapWithSixteenInTheDepot()
        let classStats = heap.test.heap.sizeClassStatistics(3)
        #expect(classStats.depotBlocks == HeapObjectCache.batch(ofClass: 3))
        #expect(heap.test.stats.depotBlocks == HeapObjectCache.batch(ofClass: 3))
        #expect(heap.caches[0].count(classIndex: 3) == HeapObjectCache.capacity(ofClass: 3))
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0)
        #expect(
            classStats.blocksInUse == HeapObjectCache.capacity(ofClass: 3), "the core counts only the bin's objects as handed out"
        )
        #expect(classStats.pages == 1 && classStats.emptyPages == 0, "the depot's objects hold their page")
        #expect(heap.stats.allocations == 48 && heap.stats.frees == 48)
    }

    @Test("a refill on another CPU takes the depot's newest objects, pointers only, and no page")
    func refillTakesFromTheDepot() {
        let (heap, blocks) = heapWithSixteenInTheDepot()
        let mapped = heap.test.heap.backing.mapCalls
        let taken = heap.allocate(64, on: 1)!
        #expect(taken == blocks[HeapObjectCache.batch(ofClass: 3) - 1], "the caller gets the depot's newest")
        #expect(heap.test.heap.lookup.classify(taken) == .cacheable(3), "and it is no longer marked free")
        #expect(heap.caches[1].count(classIndex: 3) == HeapObjectCache.batch(ofClass: 3) - 1)
        #expect(heap.caches[1].fromCore == HeapObjectCache.batch(ofClass: 3) - 1)
        #expect(heap.test.heap.sizeClassStatistics(3).depotBlocks == 0)
        let rest = (1..<HeapObjectCache.batch(ofClass: 3)).map { _ in heap.allocate(64, on: 1)! }
        #expect(Set(rest) == Set(blocks[0..<(HeapObjectCache.batch(ofClass: 3) - 1)]))
        #expect(rest.allSatisfy { heap.test.heap.lookup.classify($0) == .cacheable(3) })
        #expect(heap.test.heap.backing.mapCalls == mapped)
        #expect(
            heap.stats.blocksInUse == HeapObjectCache.batch(ofClass: 3)
                && heap.stats.allocations == 48 + HeapObjectCache.batch(ofClass: 3))
        for block in rest + [taken] { #expect(heap.free(block, on: 1)) }
        #expect(heap.stats.blocksInUse == 0)
    }

    @Test("a second free of an object in the depot is a double free on every path, and changes nothing")
    func doubleFreeOfADepotObject() {
        let (heap, blocks) = heapWithSixteenInTheDepot()
        let inDepot = blocks[3]
        #expect(heap.test.heap.lookup.classify(inDepot) == .markedFree(3))
        #expect(!heap.free(inDepot, on: 1), "through an object cache")
        #expect(heap.doubleFrees == 1)
        #expect(heap.test.heap.free(inDepot) == .doubleFree, "straight to the core")
        #expect(heap.test.heap.blockSize(of: inDepot) == nil)
        #expect(heap.test.stats.doubleFrees == 2)
        #expect(heap.test.heap.sizeClassStatistics(3).depotBlocks == HeapObjectCache.batch(ofClass: 3))
        #expect(heap.caches[1].count(classIndex: 3) == 0)
        // Handed out again, it is live, and freeing it is fine.
        let again = (0..<HeapObjectCache.batch(ofClass: 3)).map { _ in heap.allocate(64, on: 1)! }
        #expect(again.contains(inDepot) && heap.test.heap.blockSize(of: inDepot) == 64)
        for block in again { #expect(heap.free(block, on: 1)) }
        #expect(heap.stats.blocksInUse == 0 && heap.doubleFrees == 1)
    }

    @Test("a class's depot holds 64 KiB of objects at most; the rest of a drain goes back to the pages")
    func depotIsBounded() {
        let heap = CachedTestHeap(cpus: 1)
        let capacity = HeapDepot.capacity(objectSize: 256)
        #expect(capacity == HeapCoreParameters.depotBytesPerClass / 256)
        #expect(HeapDepot.capacity(objectSize: 16) == HeapCoreParameters.depotSlotsPerClass)
        // 352 blocks, 16 a page: 22 refills of one page each, and the bin empty at the end.
        let blocks = (0..<(capacity + 96)).map { _ in heap.allocate(256, on: 0)! }
        #expect(heap.caches[0].count(classIndex: 11) == 0)
        for block in blocks { #expect(heap.free(block, on: 0)) }
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.test.heap.sizeClassStatistics(11).depotBlocks == capacity)
        #expect(heap.test.stats.blocksInUse == 0 && heap.test.stats.bytesInUse == 0)
        // The oldest 256 (pages 0 ..< 16) went to the depot and hold their pages; the newest 96
        // emptied pages 16 ..< 22, of which one is kept and the rest were released.
        let pages = heap.test.heap.sizeClassStatistics(11).pages
        #expect(pages == capacity / 16 + 1)
        #expect(heap.test.heap.sizeClassStatistics(11).emptyPages == 1)
        #expect(heap.test.heap.releaseCachedPages() == pages)
        #expect(heap.test.stats.mappedBytes == 0 && heap.test.stats.depotBlocks == 0)
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("when frames run out, the depot goes back to its pages and the allocation succeeds")
    func depotIsFlushedBeforeAnAllocationFails() {
        let heap = CachedTestHeap(cpus: 1, frameLimit: 4)
        // 128 blocks of 64 bytes fill two pages; freed and drained, the depot holds them all.
        let blocks = (0..<128).map { _ in heap.allocate(64, on: 0)! }
        for block in blocks { #expect(heap.free(block, on: 0)) }
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.test.heap.sizeClassStatistics(3).depotBlocks == 128)
        #expect(heap.test.stats.mappedBytes == 2 * 4096)
        // Two pages of frames left: two page-sized blocks take them, the third needs the depot's.
        let runs = (0..<3).map { _ in heap.test.allocate(4096) }
        #expect(runs.allSatisfy { $0 != nil })
        #expect(heap.test.heap.backing.refusedMaps == 1)
        #expect(heap.test.stats.depotBlocks == 0 && heap.test.heap.sizeClassStatistics(3).pages == 0)
        #expect(heap.test.stats.failedAllocations == 0)
        for run in runs { #expect(heap.test.free(run!) == .freed(size: 4096)) }
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }
}
