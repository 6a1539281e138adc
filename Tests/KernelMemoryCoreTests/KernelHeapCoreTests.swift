// Host tests of the kernel heap core's allocation side: size classes, alignment, growth and
// return of pages, running out of frames and of window, bad requests, junk filling, counters.

import Testing

@testable import KernelMemoryCore

@Suite("KernelHeapCore allocation")
struct KernelHeapCoreTests {
    @Test func everySizeClassServesItsSizesAndCountsThem() {
        let test = TestHeap()
        var previous = 0
        for index in 0..<KernelHeapCore<TestWindowBacking>.sizeClassCount {
            let classSize = test.heap.sizeClassStatistics(index).size
            var blocks: [UnsafeMutableRawPointer] = []
            for size in stride(from: previous + 1, through: classSize, by: max(1, (classSize - previous) / 7)) {
                guard let block = test.allocate(size) else {
                    Issue.record("allocate(\(size)) failed")
                    return
                }
                #expect(UInt(bitPattern: block) % 16 == 0)
                #expect(test.heap.blockSize(of: block) == classSize, "size \(size)")
                blocks.append(block)
            }
            let stats = test.heap.sizeClassStatistics(index)
            #expect(stats.blocksInUse == blocks.count)
            #expect(stats.pages >= 1)
            for (seed, block) in blocks.enumerated() { fillPattern(block, count: classSize, seed: UInt64(seed)) }
            for (seed, block) in blocks.enumerated() {
                #expect(patternIntact(block, count: classSize, seed: UInt64(seed)))
                #expect(test.free(block) == .freed(size: classSize))
            }
            #expect(test.heap.sizeClassStatistics(index).blocksInUse == 0)
            previous = classSize
        }
        #expect(test.stats.bytesInUse == 0)
        #expect(test.stats.blocksInUse == 0)
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func zeroBytesGetAUniqueSmallBlock() {
        let test = TestHeap()
        let a = test.allocate(0)!
        let b = test.allocate(0)!
        #expect(a != b)
        #expect(test.heap.blockSize(of: a) == 16)
        #expect(test.free(a) == .freed(size: 16))
        #expect(test.free(b) == .freed(size: 16))
    }

    @Test(arguments: [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536])
    func alignmentIsHonoured(alignment: Int) {
        // A window base 3 pages past a 1 MiB boundary: page runs must align absolute addresses.
        let test = TestHeap(windowPages: 8192, basePhasePages: 3)
        var blocks: [(UnsafeMutableRawPointer, Int)] = []
        for size in [1, 16, 24, 100, 700, 1500, 2048, 2049, 4096, 5000, 20000, 70000] {
            for _ in 0..<3 {
                guard let block = test.allocate(size, alignment: alignment) else {
                    Issue.record("allocate(\(size), alignment: \(alignment)) failed")
                    return
                }
                #expect(UInt(bitPattern: block) % UInt(alignment) == 0, "size \(size) alignment \(alignment)")
                let usable = test.heap.blockSize(of: block) ?? 0
                #expect(usable >= size)
                fillPattern(block, count: usable, seed: UInt64(blocks.count))
                blocks.append((block, usable))
            }
        }
        for (seed, (block, usable)) in blocks.enumerated() {
            #expect(patternIntact(block, count: usable, seed: UInt64(seed)))
            #expect(test.free(block) == .freed(size: usable))
        }
        #expect(test.stats.bytesInUse == 0)
    }

    @Test func alignmentsBelowSixteenGetSixteen() {
        let test = TestHeap()
        for alignment in [1, 2, 4, 8] {
            let block = test.allocate(40, alignment: alignment)!
            #expect(UInt(bitPattern: block) % 16 == 0)
            #expect(test.heap.blockSize(of: block) == 48)
        }
    }

    @Test func badRequestsAreRefusedAndCounted() {
        let test = TestHeap(windowPages: 64)
        #expect(test.heap.allocate(size: 16, alignment: 0) == .badRequest)
        #expect(test.heap.allocate(size: 16, alignment: 24) == .badRequest)
        #expect(test.heap.allocate(size: 16, alignment: -16) == .badRequest)
        #expect(test.heap.allocate(size: -1, alignment: 16) == .badRequest)
        #expect(test.heap.allocate(size: 64 * 4096 + 1, alignment: 16) == .badRequest)
        #expect(test.heap.allocate(size: Int.max, alignment: 16) == .badRequest)
        #expect(test.stats.failedAllocations == 6)
        #expect(test.stats.mappedBytes == 0)
        #expect(test.allocate(64) != nil)
    }

    @Test func growthMapsPagesAndEmptyingGivesThemBack() {
        let test = TestHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<1000 { blocks.append(test.allocate(64)!) }
        #expect(test.heap.backing.mapCalls == 16)  // 64 objects of 64 bytes a page
        #expect(test.stats.mappedBytes == 16 * 4096)
        #expect(test.stats.slabPages == 16)
        #expect(test.heap.sizeClassStatistics(3).pages == 16)
        for block in blocks { _ = test.free(block) }
        // Every page emptied; one stays mapped as the class's cache.
        #expect(test.heap.backing.unmapCalls == 15)
        #expect(test.stats.mappedBytes == 4096)
        #expect(test.stats.cachedPages == 1)
        #expect(test.heap.sizeClassStatistics(3).emptyPages == 1)
        // Hysteresis: a loop on one object does not map or unmap any more.
        for _ in 0..<1000 {
            let block = test.allocate(64)!
            _ = test.free(block)
        }
        #expect(test.heap.backing.mapCalls == 16)
        #expect(test.heap.backing.unmapCalls == 15)
        #expect(test.heap.releaseCachedPages() == 1)
        #expect(test.stats.mappedBytes == 0)
        #expect(test.heap.backing.mappedPages.isEmpty)
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func smallRunsAreCachedAndLargeRunsUnmappedAtOnce() {
        let test = TestHeap()
        let large = test.allocate(40000)!  // 10 pages: never cached
        #expect(test.heap.backing.mapCalls == 10)
        #expect(test.stats.runPages == 10)
        #expect(test.free(large) == .freed(size: 40960))
        #expect(test.heap.backing.unmapCalls == 10)
        for _ in 0..<100 {
            let block = test.allocate(16384)!
            #expect(test.heap.blockSize(of: block) == 16384)
            _ = test.free(block)
        }
        #expect(test.heap.backing.mapCalls == 14)  // mapped once, then reused from the cache
        #expect(test.stats.cachedPages == 4)
        #expect(test.stats.runPages == 0)
        #expect(test.stats.mappedBytes == 4 * 4096)
        #expect(test.heap.releaseCachedPages() == 4)
        #expect(test.heap.backing.mappedPages.isEmpty)
    }

    @Test func runsOfAnotherSizeDoNotHoldTheRunCacheForever() {
        let test = TestHeap()
        let singles = (0..<HeapCoreParameters.runCacheSlots).map { _ in test.allocate(4096)! }
        for block in singles { _ = test.free(block) }  // every slot holds a 1-page run
        #expect(test.stats.cachedPages == HeapCoreParameters.runCacheSlots)
        let mapsBefore = test.heap.backing.mapCalls
        for _ in 0..<100 {
            let block = test.allocate(16384)!
            _ = test.free(block)
        }
        #expect(test.heap.backing.mapCalls - mapsBefore == 4)  // one 4-page run, then reused
        #expect(test.stats.cachedPages <= HeapCoreParameters.runCacheSlots * HeapCoreParameters.runCacheLargestRunPages)
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func runningOutOfFramesFailsCleanlyAndRecovers() {
        let test = TestHeap(frameLimit: 8)
        var blocks: [UnsafeMutableRawPointer] = []
        var failure: HeapAllocation?
        while failure == nil {
            switch test.heap.allocate(size: 64, alignment: 16) {
            case .allocated(let block): blocks.append(block)
            case let other: failure = other
            }
        }
        #expect(failure == .outOfFrames)
        #expect(blocks.count == 8 * 64)
        #expect(test.heap.allocate(size: 5000, alignment: 16) == .outOfFrames)
        #expect(test.heap.allocate(size: 128, alignment: 16) == .outOfFrames)
        #expect(test.stats.failedAllocations == 3)
        // Room in an existing page still works, and frees make room for other classes.
        #expect(test.free(blocks.removeLast()) == .freed(size: 64))
        #expect(test.allocate(64) != nil)
        for block in blocks.prefix(128) { _ = test.free(block) }  // empties two pages: one cached, one unmapped
        #expect(test.heap.backing.mappedPages.count == 7)
        // Two pages with one frame left: the heap gives back the page the 64-byte class keeps
        // as its cache and tries again.
        let big = test.allocate(8192)
        #expect(big != nil)
        #expect(test.heap.sizeClassStatistics(3).emptyPages == 0)
        #expect(test.heap.backing.mappedPages.count == 8)
        #expect(test.heap.backing.refusedMaps >= 3)
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func runningOutOfWindowFailsCleanlyAndRecovers() {
        let test = TestHeap(windowPages: 64, basePhasePages: 3)
        var runs: [UnsafeMutableRawPointer] = []
        while let run = test.allocate(8 * 4096) { runs.append(run) }
        #expect(runs.count == 8)
        #expect(test.heap.allocate(size: 8 * 4096, alignment: 16) == .outOfWindow)
        #expect(test.heap.allocate(size: 16, alignment: 16) == .outOfWindow)
        #expect(test.free(runs[3]) == .freed(size: 8 * 4096))
        let small = test.allocate(16)
        #expect(small != nil)
        #expect(test.heap.allocate(size: 8 * 4096, alignment: 16) == .outOfWindow)  // one page is now a slab
        #expect(test.heap.allocate(size: 7 * 4096, alignment: 16).pointer != nil)
        // An alignment no page of this window satisfies (base is 3 pages past 1 MiB, 64 pages long).
        let fresh = TestHeap(windowPages: 64, basePhasePages: 3)
        #expect(fresh.heap.allocate(size: 4096, alignment: 1 << 20) == .outOfWindow)
        #expect(fresh.heap.allocate(size: 4096, alignment: 1 << 18).pointer != nil)
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func statisticsFollowEveryOperation() {
        let test = TestHeap()
        let a = test.allocate(100)!  // class 112
        let b = test.allocate(3000)!  // one page
        let c = test.allocate(20)!  // class 32
        var stats = test.stats
        #expect(stats.bytesInUse == 112 + 4096 + 32)
        #expect(stats.blocksInUse == 3)
        #expect(stats.allocations == 3)
        #expect(stats.windowBytes == 4096 * 4096)
        #expect(stats.mappedBytes == 3 * 4096)
        #expect(stats.runPages == 1)
        #expect(stats.slabPages == 2)
        _ = test.free(b)
        _ = test.free(a)
        stats = test.stats
        #expect(stats.bytesInUse == 32)
        #expect(stats.peakBytesInUse == 112 + 4096 + 32)
        #expect(stats.frees == 2)
        #expect(stats.pagesMapped == 3)
        #expect(stats.cachedPages == 2)  // the 112 page (empty) and the cached run
        _ = test.free(c)
        #expect(test.stats.bytesInUse == 0)
        #expect(test.stats.blocksInUse == 0)
    }

    @Test func junkFillOverwritesFreedMemoryOnlyWhenAsked() {
        for junk in [false, true] {
            let test = TestHeap(junkFill: junk)
            let keep = test.allocate(256)!  // keeps the page from emptying
            let block = test.allocate(256)!
            let run = test.allocate(8192)!
            block.initializeMemory(as: UInt8.self, repeating: 0x11, count: 256)
            run.initializeMemory(as: UInt8.self, repeating: 0x22, count: 8192)
            _ = test.free(block)
            _ = test.free(run)  // two pages: goes into the run cache, stays mapped
            let blockBytes = block.assumingMemoryBound(to: UInt8.self)
            let runBytes = run.assumingMemoryBound(to: UInt8.self)
            #expect(blockBytes[100] == (junk ? 0xDB : 0x11))
            #expect(blockBytes[255] == (junk ? 0xDB : 0x11))
            #expect(runBytes[5000] == (junk ? 0xDB : 0x22))
            _ = test.free(keep)
        }
    }
}
