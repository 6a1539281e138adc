// Host tests of the kernel heap core's free side: every kind of invalid or double free is
// reported, and afterwards the heap is unchanged: live blocks intact, counters right, still usable.

import Testing

@testable import KernelMemoryCore

@Suite("KernelHeapCore bad frees")
struct HeapFreeValidationTests {
    /// A heap with live blocks of several kinds, each filled with its own pattern.
    final class Scene {
        let test = TestHeap(windowPages: 1024)
        var live: [(UnsafeMutableRawPointer, Int)] = []

        init() {
            for size in [16, 48, 48, 48, 100, 2048, 5000, 16384, 40000] { add(size) }
        }

        func add(_ size: Int, alignment: Int = 16) {
            let block = test.allocate(size, alignment: alignment)!
            let usable = test.heap.blockSize(of: block)!
            fillPattern(block, count: usable, seed: UInt64(live.count + 1))
            live.append((block, usable))
        }

        /// Every live block still holds its pattern, and the counters agree with the list.
        func intact() -> Bool {
            for (index, (block, usable)) in live.enumerated()
            where !patternIntact(block, count: usable, seed: UInt64(index + 1)) { return false }
            return test.stats.blocksInUse == live.count
                && test.stats.bytesInUse == live.reduce(0) { $0 + $1.1 }
                && test.heap.backing.protocolErrors == 0
        }

        func freeAll() -> Bool {
            var ok = true
            for (block, usable) in live where test.free(block) != .freed(size: usable) { ok = false }
            live.removeAll()
            return ok && test.stats.bytesInUse == 0 && test.stats.blocksInUse == 0
        }
    }

    @Test func doubleFreeOfASmallObjectIsCaught() {
        let scene = Scene()
        let block = scene.test.allocate(48)!
        let other = scene.test.allocate(48)!
        #expect(scene.test.free(block) == .freed(size: 48))
        #expect(scene.test.free(block) == .doubleFree)
        #expect(scene.test.heap.blockSize(of: block) == nil)
        #expect(scene.test.stats.doubleFrees == 1)
        // The free list was not corrupted: the block comes back exactly once.
        let again = scene.test.allocate(48)!
        let next = scene.test.allocate(48)!
        #expect(again == block)
        #expect(next != block && next != other)
        #expect(scene.test.free(again) == .freed(size: 48))
        #expect(scene.test.free(next) == .freed(size: 48))
        #expect(scene.test.free(other) == .freed(size: 48))
        #expect(scene.intact())
        #expect(scene.freeAll())
    }

    @Test func doubleFreeInAnEmptiedCachedPageIsCaught() {
        let test = TestHeap()
        let block = test.allocate(1024)!
        #expect(test.free(block) == .freed(size: 1024))  // its page is now the class's empty cache page
        #expect(test.stats.cachedPages == 1)
        #expect(test.free(block) == .doubleFree)
        #expect(test.stats.cachedPages == 1)
        #expect(test.heap.sizeClassStatistics(19).blocksInUse == 0)
        #expect(test.allocate(1024) == block)
    }

    @Test func doubleFreeOfARunIsCaughtWhileCachedAndInvalidOnceUnmapped() {
        let scene = Scene()
        let cached = scene.test.allocate(8192)!
        let unmapped = scene.test.allocate(64 * 1024)!
        #expect(scene.test.free(cached) == .freed(size: 8192))
        #expect(scene.test.free(cached) == .doubleFree)
        #expect(scene.test.free(unmapped) == .freed(size: 65536))
        #expect(scene.test.free(unmapped) == .invalid)  // its pages are unused and unmapped now
        #expect(scene.test.stats.doubleFrees == 1)
        #expect(scene.test.stats.invalidFrees == 1)
        #expect(scene.intact())
        #expect(scene.freeAll())
    }

    @Test func pointersIntoTheMiddleOfBlocksAreInvalid() {
        let scene = Scene()
        let frees = scene.test.stats.frees
        for (block, usable) in scene.live {
            for delta in [1, 8, 15, 16, usable / 2, usable - 16, usable - 1] where delta > 0 && delta < usable {
                #expect(scene.test.free(block + delta) == .invalid, "block of \(usable) + \(delta)")
                #expect(scene.test.heap.blockSize(of: block + delta) == nil)
            }
        }
        #expect(scene.test.stats.frees == frees)
        #expect(scene.intact())
        #expect(scene.freeAll())
    }

    @Test func pointersOutsideTheWindowOrIntoUnusedPagesAreInvalid() {
        let scene = Scene()
        let base = scene.test.windowBase
        let end = base + UInt(scene.test.windowPages * 4096)
        var local = 0
        let outside: [UInt] = [
            0x10, base - 16, base - 4096, end, end + 4096, UInt.max - 15,
            UInt(bitPattern: withUnsafeMutablePointer(to: &local) { $0 }),
        ]
        for address in outside {
            #expect(scene.test.free(UnsafeMutableRawPointer(bitPattern: address)!) == .invalid)
        }
        // Never-mapped pages near the end of the window: the heap must not touch them.
        for page in [scene.test.windowPages - 1, scene.test.windowPages - 100] {
            let address = UnsafeMutableRawPointer(bitPattern: base + UInt(page * 4096))!
            #expect(scene.test.free(address) == .invalid)
            #expect(scene.test.free(address + 64) == .invalid)
        }
        #expect(scene.test.stats.invalidFrees == outside.count + 4)
        #expect(scene.intact())
        #expect(scene.freeAll())
    }

    @Test func slotsNeverHandedOutAndPageSlackAreInvalid() {
        let test = TestHeap()
        let first = test.allocate(48)!
        let page = UInt(bitPattern: first) & ~4095
        let notYetHandedOut = UnsafeMutableRawPointer(bitPattern: page + 48 * 5)!
        let slack = UnsafeMutableRawPointer(bitPattern: page + 4080)!  // 85 objects of 48 end at 4080
        #expect(test.free(notYetHandedOut) == .invalid)
        for _ in 0..<84 { _ = test.allocate(48) }
        #expect(test.free(slack) == .invalid)
        #expect(test.free(first) == .freed(size: 48))
        #expect(test.stats.invalidFrees == 2)
    }

    @Test func liveDataThatLooksLikeTheFreeMarkerIsStillFreed() {
        let test = TestHeap()
        let neighbour = test.allocate(32)!
        let block = test.allocate(32)!
        _ = test.free(neighbour)  // the page's free list is not empty, so the walk has work to do
        let words = block.assumingMemoryBound(to: UInt64.self)
        words[0] = 0
        words[1] = KernelHeapCore<TestWindowBacking>.freeMarker(for: UInt(bitPattern: block))
        #expect(test.heap.blockSize(of: block) == 32)
        #expect(test.free(block) == .freed(size: 32))
        #expect(test.free(block) == .doubleFree)
        #expect(test.stats.bytesInUse == 0)
    }

    @Test func aScribbledFreeListNeverLeadsOutOfThePage() {
        let test = TestHeap()
        let a = test.allocate(64)!
        let b = test.allocate(64)!
        let keep = test.allocate(64)!
        _ = test.free(a)
        _ = test.free(b)
        // Use after free: overwrite b's link with an address far outside the page.
        b.assumingMemoryBound(to: UInt64.self)[0] = 0xFFFF_0000_1234_5670
        // a carries the free marker but the list can no longer prove it live: refused.
        #expect(test.free(a) == .doubleFree)
        let first = test.allocate(64)!
        #expect(first == b)
        let second = test.allocate(64)!
        let page = UInt(bitPattern: keep) & ~4095
        #expect(UInt(bitPattern: second) & ~4095 == page)  // the bad link was dropped, not followed
        #expect(test.heap.backing.protocolErrors == 0)
    }

    @Test func badFreesOfEveryKindLeaveTheHeapUsable() {
        let scene = Scene()
        let victim = scene.test.allocate(100)!
        _ = scene.test.free(victim)
        for _ in 0..<50 {
            _ = scene.test.free(victim)
            _ = scene.test.free(scene.live[4].0 + 16)
            _ = scene.test.free(UnsafeMutableRawPointer(bitPattern: scene.test.windowBase - 4096)!)
        }
        #expect(scene.test.stats.doubleFrees == 50)
        #expect(scene.test.stats.invalidFrees == 100)
        #expect(scene.intact())
        for size in [16, 100, 777, 3000, 9000] { scene.add(size) }
        #expect(scene.intact())
        #expect(scene.freeAll())
    }
}
