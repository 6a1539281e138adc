// A real heap window for the host tests: an mmap'd PROT_NONE reservation whose pages become
// readable and writable only while the heap has them mapped, so a stray access crashes the test.

import Glibc
import KernelLibCore
import KernelMemoryCore

/// Maps pages with mprotect and counts every call. `frameLimit` caps the pages mapped at once,
/// standing in for running out of physical frames. Misuse by the heap (mapping a mapped page,
/// unmapping an unmapped one, touching outside the window) is counted in `protocolErrors`.
struct TestWindowBacking: HeapPageBacking {
    let windowBase: UInt
    let windowBytes: UInt
    var frameLimit: Int
    var mappedPages: Set<UInt> = []
    var mapCalls = 0
    var unmapCalls = 0
    var refusedMaps = 0
    var protocolErrors = 0

    mutating func mapPage(at address: UInt) -> Bool {
        guard address >= windowBase, address - windowBase < windowBytes, address % 4096 == 0,
            !mappedPages.contains(address)
        else {
            protocolErrors += 1
            return false
        }
        guard mappedPages.count < frameLimit else {
            refusedMaps += 1
            return false
        }
        guard mprotect(UnsafeMutableRawPointer(bitPattern: address), 4096, PROT_READ | PROT_WRITE) == 0 else {
            protocolErrors += 1
            return false
        }
        mappedPages.insert(address)
        mapCalls += 1
        return true
    }

    mutating func unmapPage(at address: UInt) {
        guard mappedPages.remove(address) != nil else {
            protocolErrors += 1
            return
        }
        unmapCalls += 1
        // Drop the contents too, as a real unmap would, then make the page inaccessible.
        _ = madvise(UnsafeMutableRawPointer(bitPattern: address), 4096, MADV_DONTNEED)
        _ = mprotect(UnsafeMutableRawPointer(bitPattern: address), 4096, PROT_NONE)
    }
}

/// Owns a reserved window and the heap's metadata; unmaps both when released.
final class TestHeap {
    let reservation: UnsafeMutableRawPointer
    let reservationBytes: Int
    let metadata: UnsafeMutableRawPointer
    let windowBase: UInt
    let windowPages: Int
    var heap: KernelHeapCore<TestWindowBacking>

    /// A heap of `windowPages` pages whose base is `basePhasePages` pages past a 1 MiB boundary
    /// (so alignment code cannot rely on a well-aligned window), with at most `frameLimit`
    /// pages mapped at once.
    init(windowPages: Int = 4096, frameLimit: Int = .max, basePhasePages: Int = 0, junkFill: Bool = false) {
        let slack = 1 << 20
        reservationBytes = windowPages * 4096 + 2 * slack
        let raw = mmap(nil, reservationBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)!
        precondition(raw != MAP_FAILED, "mmap of the test window failed")
        reservation = raw
        let aligned = (UInt(bitPattern: raw) + UInt(slack) - 1) & ~UInt(slack - 1)
        windowBase = aligned + UInt(basePhasePages * 4096)
        self.windowPages = windowPages
        metadata = UnsafeMutableRawPointer.allocate(
            byteCount: KernelHeapCore<TestWindowBacking>.metadataBytes(windowPages: windowPages), alignment: 16)
        // "Any content": prove the heap does not rely on zeroed metadata.
        metadata.initializeMemory(
            as: UInt8.self, repeating: 0xA5,
            count: KernelHeapCore<TestWindowBacking>.metadataBytes(windowPages: windowPages))
        let backing = TestWindowBacking(windowBase: windowBase, windowBytes: UInt(windowPages * 4096), frameLimit: frameLimit)
        heap = KernelHeapCore(
            windowBase: windowBase, windowPages: windowPages, metadata: metadata,
            backing: backing, junkFill: junkFill)
    }

    deinit {
        munmap(reservation, reservationBytes)
        metadata.deallocate()
    }

    func allocate(_ size: Int, alignment: Int = 16) -> UnsafeMutableRawPointer? {
        heap.allocate(size: size, alignment: alignment).pointer
    }

    func free(_ pointer: UnsafeMutableRawPointer) -> HeapFreeResult {
        heap.free(pointer)
    }

    var stats: HeapStatistics { heap.statistics }
}

/// The kernel's own seeded generator, so every run sees the same "random" sequence.
typealias SeededGenerator = SeededRandom
extension SeededRandom: RandomNumberGenerator {}

/// Writes a pattern derived from `seed` over `count` bytes (a multiple of 8: usable sizes are
/// multiples of 16), different in every word so that shifted copies are caught too.
func fillPattern(_ pointer: UnsafeMutableRawPointer, count: Int, seed: UInt64) {
    let words = pointer.assumingMemoryBound(to: UInt64.self)
    for index in 0..<count / 8 { words[index] = patternWord(seed: seed, index: index) }
}

/// Whether `count` bytes still hold the pattern `fillPattern` wrote with `seed`.
func patternIntact(_ pointer: UnsafeMutableRawPointer, count: Int, seed: UInt64) -> Bool {
    let words = pointer.assumingMemoryBound(to: UInt64.self)
    for index in 0..<count / 8 where words[index] != patternWord(seed: seed, index: index) {
        return false
    }
    return true
}

private func patternWord(seed: UInt64, index: Int) -> UInt64 {
    (seed &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93)
}
