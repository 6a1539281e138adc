// Host tests of the per-CPU object caches in front of the heap core: refill and drain move the
// right objects, a cached object is recognised as free, figures count cached objects as free,
// and a seeded churn through two caches and the core never hands a block out twice.

import Testing

@testable import KernelMemoryCore

/// The kernel's own composition (CachedHeap, which KernelHeap conforms to as well) over a test
/// heap: the caches are host memory, the "lock" is the calling thread (tests run one CPU at a
/// time on one thread).
final class CachedTestHeap: CachedHeap {
    let test: TestHeap
    let storage: [UnsafeMutableRawPointer]
    let caches: [HeapObjectCache]
    var doubleFrees = 0

    init(cpus: Int = 2, frameLimit: Int = .max) {
        test = TestHeap(windowPages: 2048, frameLimit: frameLimit)
        storage = (0..<cpus).map { _ in UnsafeMutableRawPointer.allocate(byteCount: HeapObjectCache.storageBytes, alignment: 8) }
        caches = storage.map { HeapObjectCache.prepare(storage: $0) }
    }

    deinit { storage.forEach { $0.deallocate() } }

    var cacheCount: Int { caches.count }
    func cache(_ cpu: Int) -> HeapObjectCache { caches[cpu] }
    var lookup: HeapBlockLookup { test.heap.lookup }
    func withLockedCore<Result>(_ body: (inout KernelHeapCore<TestWindowBacking>) -> Result) -> Result { body(&test.heap) }

    func allocate(_ size: Int, on cpu: Int) -> UnsafeMutableRawPointer? {
        allocate(size: size, alignment: 16, on: cpu).result.pointer
    }

    /// True when the block was freed; false when refused (invalid or double).
    func free(_ block: UnsafeMutableRawPointer, on cpu: Int) -> Bool {
        switch free(block, on: cpu) as HeapFreeResult? {
        case nil, .freed?: return true
        case .doubleFree?:
            doubleFrees += 1
            return false
        case .invalid?: return false
        }
    }

    var totals: HeapCacheTotals { cachedTotals }

    var stats: HeapStatistics { test.heap.statistics(correctedBy: totals) }
}

@Suite("Heap object caches")
struct HeapObjectCacheTests {
    @Test("a refill hands one object out and keeps up to a batch of the same class in the bin")
    func refill() {
        let heap = CachedTestHeap(cpus: 1)
        let first = heap.allocate(48, on: 0)!
        #expect(heap.caches[0].count(classIndex: 2) == HeapObjectCache.batch(ofClass: 2) - 1)
        #expect(heap.stats.blocksInUse == 1)
        #expect(heap.stats.bytesInUse == 48)
        #expect(heap.stats.allocations == 1)
        // The next ones come from the bin: no new core allocation.
        let coreAllocations = heap.test.heap.statistics.allocations
        var more: [UnsafeMutableRawPointer] = []
        for _ in 0..<(HeapObjectCache.batch(ofClass: 2) - 1) { more.append(heap.allocate(40, on: 0)!) }
        #expect(heap.test.heap.statistics.allocations == coreAllocations)
        #expect(heap.caches[0].count(classIndex: 2) == 0)
        #expect(Set(more + [first]).count == HeapObjectCache.batch(ofClass: 2))
        #expect(heap.stats.blocksInUse == HeapObjectCache.batch(ofClass: 2))
        #expect(heap.stats.allocations == HeapObjectCache.batch(ofClass: 2))
        for block in more + [first] { #expect(heap.free(block, on: 0)) }
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0)
        #expect(heap.stats.frees == HeapObjectCache.batch(ofClass: 2))
    }

    @Test("a refill that fills its page takes the rest from the next page with room, or stops")
    func refillAcrossPages() {
        let heap = CachedTestHeap(cpus: 1)
        // 256-byte objects: 16 a page. Leave one page with 3 free objects and one fresh page.
        var blocks = (0..<32).map { _ in heap.test.allocate(256)! }
        for block in blocks[13..<16] { #expect(heap.test.free(block) == .freed(size: 256)) }
        blocks.removeSubrange(13..<16)
        let first = heap.allocate(256, on: 0)!  // refill: from the page with room
        #expect(heap.caches[0].count(classIndex: 11) == 2, "the page had 3 free objects: 1 out, 2 in the bin")
        let second = heap.allocate(256, on: 0)!
        let third = heap.allocate(256, on: 0)!
        let fourth = heap.allocate(256, on: 0)!  // bin empty again: a new page
        #expect(heap.caches[0].count(classIndex: 11) == 15)
        #expect(Set([first, second, third, fourth] + blocks).count == 33)
        #expect(heap.stats.blocksInUse == 33 && heap.stats.bytesInUse == 33 * 256)
        for block in blocks + [first, second, third, fourth] { #expect(heap.free(block, on: 0)) }
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.test.stats.blocksInUse == 0)
        heap.test.heap.releaseCachedPages()
        #expect(heap.test.stats.mappedBytes == 0 && heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("a full bin gives its oldest half back to the core, and drainAll gives back the rest")
    func drain() {
        let heap = CachedTestHeap(cpus: 1)
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(HeapObjectCache.capacity(ofClass: 0) + 1) { blocks.append(heap.allocate(16, on: 0)!) }
        heap.test.heap.drainAll(heap.caches[0])  // what the refills left in the bin
        #expect(heap.caches[0].blocks == 0)
        let drained = heap.caches[0].toCore
        for block in blocks { #expect(heap.free(block, on: 0)) }
        // 33 frees into a 32-object bin: one drain of 16, then the 33rd went in.
        #expect(
            heap.caches[0].count(classIndex: 0) == HeapObjectCache.capacity(ofClass: 0) - HeapObjectCache.batch(ofClass: 0) + 1)
        #expect(heap.caches[0].toCore - drained == HeapObjectCache.batch(ofClass: 0))
        #expect(heap.stats.blocksInUse == 0)
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.caches[0].blocks == 0)
        #expect(heap.test.stats.blocksInUse == 0 && heap.test.stats.bytesInUse == 0)
        heap.test.heap.releaseCachedPages()
        #expect(heap.test.stats.mappedBytes == 0)
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("classify: a live slab object is cacheable, a cached one marked free, anything else is the core's")
    func classify() {
        let heap = CachedTestHeap(cpus: 1)
        let lookup = heap.test.heap.lookup
        let small = heap.allocate(64, on: 0)!
        let medium = heap.allocate(300, on: 0)!
        let large = heap.allocate(8192, on: 0)!
        #expect(lookup.classify(small) == .cacheable(3))
        #expect(lookup.classify(small + 16) == .other)
        #expect(lookup.classify(medium) == .cacheable(12))
        #expect(lookup.classify(large) == .other)
        #expect(lookup.classify(UnsafeRawPointer(bitPattern: 0x1000)!) == .other)
        #expect(heap.free(small, on: 0))
        #expect(lookup.classify(small) == .markedFree(3))
        #expect(heap.caches[0].contains(small, classIndex: 3))
        // A second free is refused, counted, and changes nothing.
        #expect(!heap.free(small, on: 0))
        #expect(heap.doubleFrees == 1 && heap.stats.doubleFrees == 1)
        #expect(heap.caches[0].count(classIndex: 3) == HeapObjectCache.batch(ofClass: 3))
        // Taken again, it is live and unmarked.
        let again = heap.allocate(64, on: 0)!
        #expect(again == small && lookup.classify(again) == .cacheable(3))
        #expect(heap.free(again, on: 0) && heap.free(medium, on: 0) && heap.free(large, on: 0))
        #expect(heap.stats.blocksInUse == 0)
    }

    @Test("a free goes into its own class's bin whichever class the cache predicted, and is counted once")
    func predictedClass() {
        let heap = CachedTestHeap(cpus: 1)
        let cache = heap.caches[0]
        let lookup = heap.test.heap.lookup
        let smallClass = lookup.cachedClass(forSize: 16, alignment: 16)
        let largeClass = lookup.cachedClass(forSize: 200, alignment: 16)
        // The first of each class comes from a refill, the second from the bin (a take sets the prediction).
        let smalls = [heap.allocate(16, on: 0)!, heap.allocate(16, on: 0)!]
        let larges = [heap.allocate(200, on: 0)!, heap.allocate(200, on: 0)!]
        let smallBin = cache.count(classIndex: smallClass)
        let largeBin = cache.count(classIndex: largeClass)
        #expect(cache.predictedClass == largeClass)
        #expect(heap.free(smalls[1], on: 0))  // mispredicted
        #expect(cache.count(classIndex: smallClass) == smallBin + 1 && cache.count(classIndex: largeClass) == largeBin)
        #expect(cache.predictedClass == smallClass, "a mispredicted free moves the prediction")
        #expect(lookup.classify(smalls[1]) == .markedFree(smallClass))
        #expect(heap.free(larges[1], on: 0))  // mispredicted again
        #expect(cache.count(classIndex: largeClass) == largeBin + 1 && cache.count(classIndex: smallClass) == smallBin + 1)
        let again = heap.allocate(200, on: 0)!  // the newest of its class: the same block
        #expect(again == larges[1] && cache.predictedClass == largeClass)
        #expect(heap.free(again, on: 0))  // predicted
        #expect(cache.count(classIndex: largeClass) == largeBin + 1)
        #expect(!heap.free(again, on: 0), "a second free through the predicted bin is still a double free")
        #expect(cache.count(classIndex: largeClass) == largeBin + 1 && heap.doubleFrees == 1)
        #expect(heap.free(smalls[0], on: 0) && heap.free(larges[0], on: 0))
        #expect(heap.stats.allocations == 5 && heap.stats.frees == 5 && heap.stats.blocksInUse == 0)
        #expect(cache.puts == 5 && cache.takes == 3)
    }

    @Test("a bin of a class above 256 bytes holds 8 KiB of objects; refills and drains move half of that")
    func largeClassBins() {
        let heap = CachedTestHeap(cpus: 1)
        #expect(HeapObjectCache.capacity(ofClass: 11) == 32 && HeapObjectCache.capacity(ofClass: 15) == 16)
        #expect(HeapObjectCache.capacity(ofClass: 21) == 4 && heap.caches[0].capacity(classIndex: 21) == 4)
        #expect(HeapObjectCache.batch(ofClass: 21) == 2)
        // 2048-byte objects, 2 a page: each refill brings the caller's object and its page's other one.
        let blocks = (0..<8).map { _ in heap.allocate(2048, on: 0)! }
        #expect(Set(blocks).count == 8 && heap.test.heap.sizeClassStatistics(21).pages == 4)
        #expect(heap.caches[0].fromCore == 4 && heap.caches[0].count(classIndex: 21) == 0)
        // Freed: the bin takes 4, and each free that finds it full drains 2 into the depot first.
        for block in blocks { #expect(heap.free(block, on: 0)) }
        #expect(heap.caches[0].count(classIndex: 21) == 4 && heap.caches[0].toCore == 4)
        #expect(heap.test.heap.sizeClassStatistics(21).depotBlocks == 4)
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0 && heap.stats.frees == 8)
        #expect(!heap.free(blocks[7], on: 0) && !heap.free(blocks[0], on: 0), "second frees, from the bin and from the depot")
        #expect(heap.doubleFrees == 2)
        heap.test.heap.drainAll(heap.caches[0])
        #expect(heap.test.heap.releaseCachedPages() == 4)
        #expect(heap.test.stats.mappedBytes == 0 && heap.test.heap.backing.protocolErrors == 0)
    }

    @Test("cachedClass: slab sizes (up to 2048) at alignments up to 16, nothing else")
    func cachedClass() {
        let lookup = CachedTestHeap(cpus: 1).test.heap.lookup
        #expect(lookup.cachedClass(forSize: 0, alignment: 16) == 0)
        #expect(lookup.cachedClass(forSize: 16, alignment: 8) == 0)
        #expect(lookup.cachedClass(forSize: 17, alignment: 16) == 1)
        #expect(lookup.cachedClass(forSize: 256, alignment: 16) == 11)
        #expect(lookup.cachedClass(forSize: 257, alignment: 16) == 12)
        #expect(lookup.cachedClass(forSize: 2048, alignment: 16) == 21)
        #expect(lookup.cachedClass(forSize: 2049, alignment: 16) == -1)
        #expect(lookup.cachedClass(forSize: 64, alignment: 32) == -1)
        #expect(lookup.cachedClass(forSize: 64, alignment: 3) == -1)
        #expect(lookup.cachedClass(forSize: -1, alignment: 16) == -1)
    }

    @Test("seeded churn over two caches and the core: no block twice, contents intact, figures exact", arguments: [1, 2, 3])
    func churn(seed: UInt64) {
        let heap = CachedTestHeap(cpus: 2)
        var generator = SeededGenerator(seed: seed)
        var live: [(block: UnsafeMutableRawPointer, size: Int, seed: UInt64)] = []
        var addresses = Set<UInt>()
        let sizes = [1, 16, 24, 48, 64, 100, 128, 200, 256, 300, 1024, 5000]
        for step in 0..<20_000 {
            let cpu = Int.random(in: 0...1, using: &generator)  // frees often land on the other CPU
            if live.isEmpty || (live.count < 600 && Bool.random(using: &generator)) {
                let size = sizes.randomElement(using: &generator)!
                let block = heap.allocate(size, on: cpu)!
                #expect(addresses.insert(UInt(bitPattern: block)).inserted, "block handed out twice at step \(step)")
                let usable =
                    size <= 256
                    ? HeapSizeClass.size(ofClass: HeapSizeClass.index(forSize: size)) : heap.test.heap.blockSize(of: block)!
                fillPattern(block, count: usable, seed: UInt64(step))
                live.append((block, usable, UInt64(step)))
            } else {
                let victim = live.remove(at: Int.random(in: 0..<live.count, using: &generator))
                #expect(patternIntact(victim.block, count: victim.size, seed: victim.seed), "contents damaged at step \(step)")
                addresses.remove(UInt(bitPattern: victim.block))
                #expect(heap.free(victim.block, on: cpu))
            }
        }
        #expect(heap.stats.blocksInUse == live.count)
        #expect(heap.stats.bytesInUse == live.reduce(0) { $0 + $1.size })
        for entry in live {
            #expect(patternIntact(entry.block, count: entry.size, seed: entry.seed))
            #expect(heap.free(entry.block, on: 0))
        }
        #expect(heap.stats.blocksInUse == 0 && heap.stats.bytesInUse == 0)
        #expect(heap.stats.allocations == heap.stats.frees)
        heap.caches.forEach { heap.test.heap.drainAll($0) }
        #expect(heap.test.stats.blocksInUse == 0)
        heap.test.heap.releaseCachedPages()
        #expect(heap.test.stats.mappedBytes == 0)
        #expect(heap.test.heap.backing.protocolErrors == 0)
    }
}
