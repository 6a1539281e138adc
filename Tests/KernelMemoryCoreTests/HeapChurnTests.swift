// Host churn test of the kernel heap core: 100,000 random allocations and frees with a fixed
// seed, every block filled over its whole usable size and checked before it is freed.

import Testing

@testable import KernelMemoryCore

@Suite("KernelHeapCore churn")
struct HeapChurnTests {
    /// A request drawn like the kernel's mix: mostly small Swift objects and buffers, some
    /// medium, a few large, and now and then an alignment above the default.
    static func randomRequest(_ generator: inout SeededGenerator) -> (size: Int, alignment: Int) {
        let roll = Int.random(in: 0..<100, using: &generator)
        let size: Int
        switch roll {
        case 0..<75: size = Int.random(in: 0...256, using: &generator)
        case 75..<95: size = Int.random(in: 257...2048, using: &generator)
        default: size = Int.random(in: 2049...70_000, using: &generator)
        }
        let alignment =
            Int.random(in: 0..<100, using: &generator) < 10
            ? 1 << Int.random(in: 5...16, using: &generator) : 16
        return (size, alignment)
    }

    @Test func randomChurnKeepsBlocksIntactAndReturnsExactlyToBaseline() {
        let test = TestHeap(windowPages: 65536)
        // Long-lived blocks present before the baseline, as in a running kernel.
        var survivors: [UnsafeMutableRawPointer] = []
        for size in [24, 200, 3000, 48] { survivors.append(test.allocate(size)!) }
        let baseline = test.stats

        var generator = SeededGenerator(seed: 0x5EED_2026)
        var live: [(block: UnsafeMutableRawPointer, usable: Int, seed: UInt64)] = []
        var nextSeed: UInt64 = 1
        var misaligned = 0
        var corrupted = 0
        var wrongFrees = 0
        for _ in 0..<100_000 {
            let wantAllocate = live.isEmpty || Int.random(in: 0..<100, using: &generator) < (live.count < 3000 ? 55 : 45)
            if wantAllocate {
                let request = Self.randomRequest(&generator)
                guard let block = test.allocate(request.size, alignment: request.alignment),
                    let usable = test.heap.blockSize(of: block)
                else {
                    Issue.record("allocation \(request) failed")
                    return
                }
                if UInt(bitPattern: block) % UInt(request.alignment) != 0 || usable < request.size { misaligned += 1 }
                fillPattern(block, count: usable, seed: nextSeed)
                live.append((block, usable, nextSeed))
                nextSeed += 1
            } else {
                let index = Int.random(in: 0..<live.count, using: &generator)
                let victim = live[index]
                live.swapAt(index, live.count - 1)
                live.removeLast()
                if !patternIntact(victim.block, count: victim.usable, seed: victim.seed) { corrupted += 1 }
                if test.free(victim.block) != .freed(size: victim.usable) { wrongFrees += 1 }
            }
        }
        #expect(misaligned == 0)
        #expect(corrupted == 0)
        #expect(wrongFrees == 0)
        #expect(test.stats.peakBytesInUse > baseline.bytesInUse)

        for entry in live {
            if !patternIntact(entry.block, count: entry.usable, seed: entry.seed) { corrupted += 1 }
            if test.free(entry.block) != .freed(size: entry.usable) { wrongFrees += 1 }
        }
        #expect(corrupted == 0)
        #expect(wrongFrees == 0)
        let after = test.stats
        #expect(after.bytesInUse == baseline.bytesInUse)
        #expect(after.blocksInUse == baseline.blocksInUse)
        #expect(after.runPages == baseline.runPages)
        #expect(after.allocations - baseline.allocations == after.frees - baseline.frees)
        #expect(after.invalidFrees == 0 && after.doubleFrees == 0 && after.failedAllocations == 0)
        for index in 0..<KernelHeapCore<TestWindowBacking>.sizeClassCount {
            let classStats = test.heap.sizeClassStatistics(index)
            #expect(classStats.emptyPages <= HeapCoreParameters.cachedEmptySlabPagesPerClass)
            #expect(
                classStats.blocksInUse == (index == 1 || index == 2 || index == 10 ? 1 : 0),
                "class \(classStats.size)")
        }
        // Only the survivors' pages and the bounded caches stay mapped; dropping the caches
        // leaves exactly the survivors' pages.
        let cacheBound =
            KernelHeapCore<TestWindowBacking>.sizeClassCount * HeapCoreParameters.cachedEmptySlabPagesPerClass
            + HeapCoreParameters.runCacheSlots * HeapCoreParameters.runCacheLargestRunPages
        #expect(after.mappedBytes / 4096 <= baseline.mappedBytes / 4096 + cacheBound)
        test.heap.releaseCachedPages()
        #expect(test.stats.mappedBytes == baseline.mappedBytes - baseline.cachedPages * 4096)
        #expect(test.heap.backing.mappedPages.count * 4096 == test.stats.mappedBytes)
        #expect(test.heap.backing.mapCalls - test.heap.backing.unmapCalls == test.heap.backing.mappedPages.count)
        #expect(test.heap.backing.protocolErrors == 0)

        for block in survivors { _ = test.free(block) }
        #expect(test.stats.bytesInUse == 0)
        #expect(test.stats.blocksInUse == 0)
    }
}
