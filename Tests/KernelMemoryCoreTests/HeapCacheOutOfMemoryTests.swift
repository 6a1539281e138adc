// Host test of kmalloc's locked step when memory runs out: the caller's own object cache is
// emptied into the core, and the core gives back the pages only cached objects kept, before
// the allocation is reported as failed.

import Testing

@testable import KernelMemoryCore

@Suite("Heap object caches when memory runs out")
struct HeapCacheOutOfMemoryTests {
    @Test("an allocation about to fail empties the caller's own bins first, and succeeds with their pages")
    func callersBinsAreEmptiedBeforeFailing() {
        let heap = CachedTestHeap(cpus: 2, frameLimit: 2)
        // 16 blocks of 256 bytes fill one page; freed, they sit in CPU 0's bin and keep it mapped.
        let blocks = (0..<16).map { _ in heap.allocate(256, on: 0)! }
        for block in blocks { #expect(heap.free(block, on: 0)) }
        #expect(heap.caches[0].count(classIndex: 11) == 16 && heap.test.stats.mappedBytes == 4096)
        let first = heap.allocate(4096, on: 1)!  // the second frame
        // CPU 1's bins are empty: nothing to give back, so a third frame is refused.
        #expect(heap.allocate(4096, on: 1) == nil)
        #expect(heap.stats.failedAllocations == 1)
        // CPU 0's own bin holds the page: emptied, it gives the frame back.
        let second = heap.allocate(4096, on: 0)
        #expect(second != nil)
        #expect(heap.caches[0].blocks == 0 && heap.test.stats.depotBlocks == 0)
        #expect(heap.stats.failedAllocations == 1, "the retry that succeeded is not a failure")
        #expect(heap.stats.blocksInUse == 2 && heap.stats.frees == 16)
        for block in [first, second!] { #expect(heap.free(block, on: 0)) }
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }
}
